package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.helper.HelperStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/larder helper} as a real process, fed raw bytes the way cmd/go (or a bad peer) would. */
class HelperCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    record Run(int exit, List<String> stdout, String stderr) {
    }

    private Run helper(String input, String... extraArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "helper",
                "--dir", tmp.resolve("store").toString()));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(tmp.resolve("out.txt").toFile())
                .redirectError(tmp.resolve("err.txt").toFile());
        pb.environment().put("LARDER_LOG", "debug");
        Path in = tmp.resolve("in.txt");
        Files.writeString(in, input);
        pb.redirectInput(in.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "helper did not exit within 2 minutes");
        return new Run(p.exitValue(), Files.readAllLines(tmp.resolve("out.txt")),
                Files.readString(tmp.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static byte[] sha(String s) throws Exception {
        return DigestUtils.sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String put(int id, String action, String body) throws Exception {
        return "{\"ID\":" + id + ",\"Command\":\"put\",\"ActionID\":\"" + b64(sha(action)) + "\",\"OutputID\":\""
                + b64(sha(body)) + "\",\"BodySize\":" + body.length() + "}\n\n\""
                + b64(body.getBytes(StandardCharsets.UTF_8)) + "\"\n";
    }

    private static String get(int id, String action) throws Exception {
        return "{\"ID\":" + id + ",\"Command\":\"get\",\"ActionID\":\"" + b64(sha(action)) + "\"}\n\n";
    }

    /** Every stdout line must be a JSON response, even with debug logging on. */
    private static List<JsonNode> responses(Run r) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.stdout()) {
            JsonNode n = JSON.readTree(line);
            assertTrue(n != null && n.isObject() && n.has("ID"), "stdout line: got " + line + ", want a JSON response");
            out.add(n);
        }
        return out;
    }

    @Test
    void helper_debugLogging_stdoutCarriesProtocolOnly() throws Exception {
        Run r = helper(get(1, "a") + put(2, "a", "hello") + get(3, "a") + "{\"ID\":4,\"Command\":\"close\"}\n\n");
        assertEquals(0, r.exit(), "exit status; stderr: " + r.stderr());
        List<JsonNode> resp = responses(r);
        assertEquals(5, resp.size(), "responses: " + r.stdout());
        assertEquals("[\"get\",\"put\",\"close\"]", resp.get(0).get("KnownCommands").toString(), "handshake");
        assertTrue(r.stderr().contains("larder: "), "stderr: got " + r.stderr() + ", want debug log lines");
    }

    @Test
    void helper_endOfInputWithoutClose_exitsZero() throws Exception {
        Run r = helper(put(1, "a", "hello"));
        assertEquals(0, r.exit(), "exit status; stderr: " + r.stderr());
        assertEquals(2, responses(r).size(), "responses: " + r.stdout());
    }

    @Test
    void helper_brokenJson_exitsNonZeroWithOneClearLine() throws Exception {
        Run r = helper(get(1, "a") + "{\"ID\":2,\"Command\":\n\n");
        assertEquals(1, r.exit(), "exit status; stderr: " + r.stderr());
        List<String> errorLines = r.stderr().lines().filter(l -> l.startsWith("larder helper:")).toList();
        assertEquals(1, errorLines.size(), "error lines on stderr: " + r.stderr());
        assertTrue(errorLines.get(0).contains("line 3") && errorLines.get(0).contains("not a JSON request"),
                "error line: got " + errorLines.get(0));
        assertEquals(2, responses(r).size(), "the get before the bad line is still answered: " + r.stdout());
    }

    @Test
    void helper_truncatedBody_exitsNonZeroAndStoresNothing() throws Exception {
        String full = put(1, "a", "some body that will be cut");
        Run r = helper(full.substring(0, full.length() - 12));
        assertEquals(1, r.exit(), "exit status; stderr: " + r.stderr());
        assertTrue(r.stderr().contains("put body: input ended"), "stderr: " + r.stderr());
        try (Stream<Path> blobs = Files.walk(tmp.resolve("store/blobs"));
                Stream<Path> temps = Files.list(tmp.resolve("store/tmp"))) {
            assertEquals(0, blobs.filter(Files::isRegularFile).count(), "blobs stored");
            assertEquals(0, temps.count(), "temp files left");
        }
        Run again = helper(get(1, "a"));
        assertTrue(responses(again).get(1).get("Miss").asBoolean(), "get after truncated put: " + again.stdout());
    }

    @Test
    void helper_readOnly_omitsPutAndRefusesIt() throws Exception {
        Run r = helper(put(1, "a", "hello") + get(2, "a"), "--read-only");
        assertEquals(0, r.exit(), "exit status; stderr: " + r.stderr());
        List<JsonNode> resp = responses(r);
        assertEquals("[\"get\",\"close\"]", resp.get(0).get("KnownCommands").toString(), "handshake");
        assertTrue(resp.get(1).get("Err").asText().contains("read-only"), "put reply: " + resp.get(1));
        assertTrue(resp.get(2).get("Miss").asBoolean(), "get reply: " + resp.get(2));
    }

    @Test
    void helper_statsJson_countsTheSession() throws Exception {
        Path stats = tmp.resolve("stats.json");
        Run r = helper(get(1, "a") + put(2, "a", "hello") + get(3, "a") + "{\"ID\":4,\"Command\":\"nope\"}\n\n",
                "--stats-json", stats.toString());
        assertEquals(0, r.exit(), "exit status; stderr: " + r.stderr());
        HelperStats s = StatsJson.helper(stats);
        assertEquals(2, s.gets(), "gets in " + s);
        assertEquals(1, s.hits(), "hits in " + s);
        assertEquals(1, s.misses(), "misses in " + s);
        assertEquals(1, s.puts(), "puts in " + s);
        assertEquals(5, s.putBytes(), "putBytes in " + s);
        assertEquals(1, s.errors(), "errors in " + s);
    }

    @Test
    void larder_version_printsVersion() throws Exception {
        Process p = new ProcessBuilder(GoCacheProgIT.larder().toString(), "--version")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), "exit status; output: " + out);
        assertTrue(out.startsWith("larder 0."), "got " + out + ", want larder <version>");
    }
}
