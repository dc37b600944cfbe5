package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.helper.HelperStats;
import dev.larder.storage.TierCounters;
import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tests' reader of {@code --stats-json} files: the records back, or a failure, never a zero. */
class StatsJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HelperStats HELPER = new HelperStats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, true,
            new TierCounters(11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21));

    @TempDir
    Path tmp;

    private static ObjectNode written(Object stats) {
        return JSON.valueToTree(stats);
    }

    @Test
    void helper_asWritten_isTheSameRecord() throws IOException {
        Path file = tmp.resolve("stats.json");
        JSON.writeValue(file.toFile(), HELPER);
        assertEquals(HELPER, StatsJson.helper(file), "helper stats read back");
    }

    @Test
    void helper_missingCounter_fails() {
        ObjectNode s = written(HELPER);
        s.remove("puts");
        assertThrows(IOException.class, () -> StatsJson.helper(s), "stats without puts: " + s);
    }

    @Test
    void helper_missingStoreCounter_fails() {
        ObjectNode s = written(HELPER);
        ((ObjectNode) s.get("store")).remove("uploads");
        assertThrows(IOException.class, () -> StatsJson.helper(s), "stats without store.uploads: " + s);
    }

    @Test
    void helper_unknownCounter_fails() {
        JsonNode s = written(HELPER).put("putz", 4);
        assertThrows(IOException.class, () -> StatsJson.helper(s), "stats with an unknown counter: " + s);
    }

    @Test
    void run_asWritten_isTheSameRecord() throws IOException {
        RunStats stats = new RunStats("miss", "not run before", 4, 0, 0, 1, 0, 300, 10, 3, 1000, 7, true, true, 2, 9);
        Path file = tmp.resolve("run.json");
        JSON.writeValue(file.toFile(), stats);
        assertEquals(stats, StatsJson.run(file), "run stats read back");
    }

    @Test
    void run_missingCounter_fails() throws IOException {
        ObjectNode s = written(new RunStats("hit", "", 0, 6, 1, 0, 0, 0, 5, 2, 100, 7, false, false, 3, 9));
        s.remove("executions");
        Path file = Files.writeString(tmp.resolve("run.json"), s.toString());
        assertThrows(IOException.class, () -> StatsJson.run(file), "run stats without executions: " + s);
    }
}
