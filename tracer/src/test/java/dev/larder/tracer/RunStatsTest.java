package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The factories fill the stats as {@code --stats-json} has always reported each kind of run. */
class RunStatsTest {
    private static final String SHA = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void hit_countsTheReplayedRun() {
        Outputs o = new Outputs(1, 3, new Outputs.Blob(SHA, 4), null,
                List.of(Outputs.FileOp.mkdir("/d", 0755), Outputs.FileOp.delete("/e")), 6);
        RunStats got = new RunOutcome.Hit(o, 5, 100).stats(7, 9);
        assertEquals(new RunStats("hit", "", 0, 6, 1, 0, 0, 0, 5, 2, 100, 7, false, false, 3, 9), got);
    }

    @Test
    void recorded_countsAMiss() {
        RunOutcome.Execution ran = new RunOutcome.Execution(2, 4, 300, true);
        RunStats got = new RunOutcome.Recorded("not run before", ran, 10, 3, 1000, true).stats(7, 9);
        assertEquals(new RunStats("miss", "not run before", 4, 0, 0, 1, 0, 300, 10, 3, 1000, 7, true, true, 2, 9), got);
    }

    @Test
    void uncacheable_countsNoOutputs() {
        RunOutcome.Execution ran = new RunOutcome.Execution(1, 4, 300, false);
        RunStats got = new RunOutcome.Uncacheable("used the network", ran).stats(7, 9);
        assertEquals(new RunStats("uncacheable", "used the network", 4, 0, 0, 0, 1, 300, 0, 0, 0, 7, false, false, 1, 9),
                got);
    }

    /** The {@code --stats-json} fields, as the README lists them: renaming a component renames one of these. */
    @Test
    void json_fields_keepTheirNames() throws Exception {
        RunStats stats = new RunStats("miss", "not run before", 4, 3, 0, 1, 0, 300, 10, 3, 1000, 7, true, true, 2, 9,
                5, 3, 2, 1);
        JsonNode s = JSON.readTree(JSON.writeValueAsString(stats));
        Set<String> names = new TreeSet<>();
        s.fieldNames().forEachRemaining(names::add);
        assertEquals(new TreeSet<>(List.of("result", "reason", "executions", "skipped", "hits", "misses",
                "uncacheable", "tracedSyscalls", "preconditions", "outputs", "outputBytes", "hashedBytes", "seccomp",
                "stored", "exitCode", "millis", "units", "unitsSkipped", "unitsRun", "unitsUncacheable")), names,
                "fields of " + s);
        assertEquals(300, s.get("tracedSyscalls").asLong(), "tracedSyscalls in " + s);
        assertEquals("not run before", s.get("reason").asText(), "reason in " + s);
        assertEquals(5, s.get("units").asInt(), "units in " + s);
        assertEquals(1, s.get("unitsUncacheable").asInt(), "unitsUncacheable in " + s);
    }
}
