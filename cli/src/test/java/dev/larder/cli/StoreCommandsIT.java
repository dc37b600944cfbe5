package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.ProtocolClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** larder stats, trim and verify, and the helper's --auto-trim, as real processes. */
class StoreCommandsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path store() {
        return tmp.resolve("store");
    }

    private LarderRun larder(Map<String, String> env, String... args) throws Exception {
        return LarderRun.of(tmp, env, args);
    }

    /** One helper session storing {@code n} bodies of {@code size} bytes. */
    private void fill(int n, int size, String tag, List<String> extraArgs, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "helper", "--dir",
                store().toString()));
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(tmp.resolve("helper-" + tag + ".err").toFile());
        pb.environment().putAll(env);
        try (ProtocolClient c = ProtocolClient.start(pb, Duration.ofSeconds(60))) {
            for (int i = 0; i < n; i++) {
                byte[] body = (tag + " " + i + " " + "x".repeat(size)).getBytes(StandardCharsets.UTF_8);
                ActionId a = new ActionId(DigestUtils.sha256((tag + i).getBytes(StandardCharsets.UTF_8)));
                assertTrue(!c.put(a, body).get().isError());
            }
        }
    }

    @Test
    void statsTrimVerify_onAFilledStore() throws Exception {
        fill(20, 1000, "old", List.of(), Map.of());
        Map<String, String> later = Map.of("LARDER_TEST_CLOCK_OFFSET", "7200");
        fill(5, 1000, "new", List.of(), later);

        JsonNode stats = JSON.readTree(larder(later, "stats", "--json", "--dir", store().toString()).stdout());
        assertEquals(25, stats.get("entries").asLong(), stats.toString());
        assertEquals(2, stats.get("recentSessions").get("sessions").asLong(), stats.toString());

        LarderRun trim = larder(later, "trim", "--max-size", "8KiB", "--dir", store().toString());
        assertEquals(0, trim.exit(), trim.stderr());
        assertTrue(trim.stdout().contains("removed 17 entries and 17 blobs"), trim.stdout());

        JsonNode after = JSON.readTree(larder(later, "stats", "--json", "--dir", store().toString()).stdout());
        assertEquals(8, after.get("entries").asLong(), after.toString());
        assertTrue(after.get("bytes").asLong() <= 8 << 10, after.toString());
        assertEquals(17, after.get("lastTrim").get("entriesRemoved").asLong(), after.toString());

        LarderRun text = larder(later, "stats", "--dir", store().toString());
        assertTrue(text.stdout().contains("entries    8 (8 distinct outputs"), text.stdout());
        assertTrue(text.stdout().contains("last trim"), text.stdout());

        LarderRun verify = larder(Map.of(), "verify", "--dir", store().toString());
        assertEquals(0, verify.exit(), verify.stdout());
        assertTrue(verify.stdout().startsWith("verified 8 blobs"), verify.stdout());
    }

    @Test
    void statsTrimVerify_replacedOutputs_areCountedThenTrimmedAfterTheHour() throws Exception {
        ActionId a = new ActionId(DigestUtils.sha256("re-put".getBytes(StandardCharsets.UTF_8)));
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir",
                store().toString()).redirectError(tmp.resolve("helper-reput.err").toFile());
        try (ProtocolClient c = ProtocolClient.start(pb, Duration.ofSeconds(60))) {
            for (int i = 0; i < 5; i++) {
                byte[] body = ("version " + i + " " + "x".repeat(1000)).getBytes(StandardCharsets.UTF_8);
                assertTrue(!c.put(a, body).get().isError());
            }
        }
        JsonNode stats = JSON.readTree(larder(Map.of(), "stats", "--json", "--dir", store().toString()).stdout());
        assertEquals(1, stats.get("entries").asLong(), stats.toString());
        assertEquals(4, stats.get("unnamedBlobs").asLong(), stats.toString());
        assertEquals(stats.get("bytes").asLong() * 5, stats.get("totalBytes").asLong(), stats.toString());
        LarderRun text = larder(Map.of(), "stats", "--dir", store().toString());
        assertTrue(text.stdout().contains("unnamed    4 blobs"), text.stdout());
        LarderRun verify = larder(Map.of(), "verify", "--dir", store().toString());
        assertEquals(0, verify.exit(), verify.stdout());

        Map<String, String> later = Map.of("LARDER_TEST_CLOCK_OFFSET", "7200");
        LarderRun trim = larder(later, "trim", "--max-age", "30d", "--dir", store().toString());
        assertEquals(0, trim.exit(), trim.stderr());
        assertTrue(trim.stdout().contains("removed 0 entries and 4 blobs"), trim.stdout());
        JsonNode after = JSON.readTree(larder(later, "stats", "--json", "--dir", store().toString()).stdout());
        assertEquals(0, after.get("unnamedBlobs").asLong(), after.toString());
        assertEquals(after.get("bytes").asLong(), after.get("totalBytes").asLong(), after.toString());
        verify = larder(Map.of(), "verify", "--dir", store().toString());
        assertEquals(0, verify.exit(), verify.stdout());
        assertTrue(verify.stdout().startsWith("verified 1 blobs"), verify.stdout());
    }

    @Test
    void helperAutoTrim_trimsAfterTheSession() throws Exception {
        fill(10, 1000, "old", List.of(), Map.of());
        fill(1, 10, "new", List.of("--auto-trim", "--max-size", "100"), Map.of("LARDER_TEST_CLOCK_OFFSET", "7200"));
        JsonNode after = JSON.readTree(larder(Map.of("LARDER_TEST_CLOCK_OFFSET", "7200"), "stats", "--json",
                "--dir", store().toString()).stdout());
        assertEquals(10, after.get("lastTrim").get("entriesRemoved").asLong(), after.toString());
        assertEquals(1, after.get("entries").asLong(), after.toString());
    }

    @Test
    void upkeep_noStore_saysSoAndExitsOne() throws Exception {
        for (String cmd : List.of("stats", "verify")) {
            LarderRun r = larder(Map.of(), cmd, "--dir", tmp.resolve("none").toString());
            assertEquals(1, r.exit(), cmd);
            assertTrue(r.stderr().contains("no store at " + tmp.resolve("none")), r.stderr());
        }
        LarderRun trim = larder(Map.of(), "trim", "--dir", tmp.resolve("none").toString());
        assertEquals(2, trim.exit(), "trim without a budget");
        assertTrue(trim.stderr().contains("nothing to trim to"), trim.stderr());
    }
}
