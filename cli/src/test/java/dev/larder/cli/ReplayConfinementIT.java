package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.larder.protocol.ActionId;
import dev.larder.storage.Digest;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.bazel.ActionResultCodec;
import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A malicious remote: machine A records a real {@code larder run} through an HTTP cache this test
 * holds in memory; the test then rewrites the records it holds (an outputs list naming paths
 * outside the tree, {@code ..}, a symlinked parent, a recursive delete, a setuid mode; a forged,
 * truncated or planted manifest candidate), and machine B (a fresh local store, the same remote,
 * the same working directory) runs the command again. Each forgery is refused before anything is
 * touched: nothing under the test's area outside the working directory changes (paths, types,
 * modes, contents), the command runs and succeeds, and {@code --explain} names the path and the
 * rule. An allowed root ({@code --allow-write}, {@code LARDER_ALLOW_WRITE}) lets a legitimate
 * write outside the working directory replay.
 */
class ReplayConfinementIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = "sort in.txt > out.txt; echo done";

    @TempDir
    Path tmp;

    /** Everything a forged record might reach: the working directory and the user's files beside it. */
    private Path area;
    private Path work;
    private Path outside;
    private ForgingRemote remote;
    private int launches;

    @BeforeEach
    void setUp() throws IOException {
        area = Files.createDirectories(tmp.resolve("area")).toRealPath();
        work = Files.createDirectories(area.resolve("work"));
        outside = Files.createDirectories(area.resolve("home"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(outside.resolve(".bashrc"), "the user's rc\n");
        Files.createDirectories(outside.resolve("project"));
        Files.writeString(outside.resolve("project/notes.txt"), "the user's notes\n");
        Files.writeString(work.resolve("in.txt"), "charlie\nalpha\nbravo\n");
        remote = ForgingRemote.start();
    }

    @AfterEach
    void tearDown() {
        remote.close();
    }

    // ---- running ----

    /** One finished {@code larder run}: exit, stdout, stderr and its --stats-json. */
    record Run(int exit, String stdout, String stderr, RunStats stats) {
        String describe() {
            return "exit " + exit + ", stats " + stats + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /**
     * {@code larder run --dir tmp/machine-NAME --store REMOTE --explain OPTIONS -- sh -c SCRIPT} in
     * the working directory, with {@code env} added.
     */
    private Run larder(String machine, Map<String, String> env, List<String> options, String script)
            throws Exception {
        int n = ++launches;
        Path stats = tmp.resolve("stats-" + n + ".json");
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "run", "--dir",
                tmp.resolve("machine-" + machine).toString(), "--store", remote.url(), "--explain", "--stats-json",
                stats.toString()));
        cmd.addAll(options);
        cmd.addAll(List.of("--", "sh", "-c", script));
        Path out = tmp.resolve("run-" + n + ".out");
        Path err = tmp.resolve("run-" + n + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("LARDER_ALLOW_WRITE");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), String.join(" ", cmd) + " did not finish");
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertTrue(Files.isRegularFile(stats), "no --stats-json file; stderr:\n" + stderr);
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), stderr, StatsJson.run(stats));
    }

    private Run larder(String machine, String script) throws Exception {
        return larder(machine, Map.of(), List.of(), script);
    }

    /** Machine A records {@code script}; returns its outputs list as the remote holds it. */
    private Recorded recordOnA(String script) throws Exception {
        Run a = larder("a", script);
        assertEquals(0, a.exit(), "machine a: " + a.describe());
        assertEquals("miss", a.stats().result(), "machine a: " + a.describe());
        assertTrue(a.stats().stored(), "machine a stored nothing: " + a.describe());
        return remote.recorded();
    }

    /** Machine {@code b} runs the command over a forged record: it must run, succeed, and leave the area alone. */
    private Run refusedOnB(String machine, String wantInExplain) throws Exception {
        Map<String, String> before = snapshotOutsideWork();
        Files.deleteIfExists(work.resolve("out.txt"));
        Run b = larder(machine, SCRIPT);
        assertEquals(0, b.exit(), machine + ": " + b.describe());
        assertEquals("miss", b.stats().result(), machine + ": got a replay of a forged record; " + b.describe());
        assertTrue(b.stats().executions() >= 1, machine + ": the command did not run; " + b.describe());
        assertEquals("done\n", b.stdout(), machine + ": stdout");
        assertEquals(sorted(), Files.readString(work.resolve("out.txt")), machine + ": out.txt");
        assertTrue(b.stderr().contains(wantInExplain),
                machine + ": --explain: got\n" + b.stderr() + "\nwant it to say " + wantInExplain);
        assertEquals(before, snapshotOutsideWork(), machine + ": the area outside the working directory changed");
        return b;
    }

    private String sorted() throws IOException {
        return Files.readAllLines(work.resolve("in.txt")).stream().sorted().map(l -> l + "\n")
                .reduce("", String::concat);
    }

    /** Every path under the area but the working directory: type, mode, content or target. */
    private Map<String, String> snapshotOutsideWork() throws IOException {
        Map<String, String> all = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(area)) {
            for (Path p : s.sorted().toList()) {
                if (p.startsWith(work) && !p.equals(work)) {
                    continue;
                }
                Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                String what = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
                        : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
                        : "file " + DigestUtils.sha256Hex(Files.readAllBytes(p));
                all.put(area.relativize(p).toString(), Integer.toOctalString((Integer) mode) + " " + what);
            }
        }
        return all;
    }

    // ---- forging ----

    /** What machine A left on the remote for the command: its manifest's key, and the records' JSON. */
    record Recorded(String manifestKey, ObjectNode manifest, String outputsKey, ObjectNode outputs) {
        /** The content recorded for out.txt: {@code {"sha256":…, "size":…}}. */
        JsonNode outContent() {
            for (JsonNode f : outputs.get("files")) {
                if (f.get("path").asText().endsWith("/out.txt")) {
                    return f.get("content");
                }
            }
            throw new AssertionError("no write of out.txt in " + outputs);
        }
    }

    /** The recorded outputs list, its file changes replaced by {@code files}, put back under its key. */
    private void forgeFiles(Recorded r, Consumer<ArrayNode> files) throws IOException {
        ObjectNode o = r.outputs().deepCopy();
        ArrayNode changes = JSON.createArrayNode();
        files.accept(changes);
        o.set("files", changes);
        remote.plant(r.outputsKey(), o);
    }

    private ObjectNode write(String path, JsonNode content, int mode) {
        ObjectNode f = JSON.createObjectNode().put("op", "write").put("path", path);
        f.set("content", content.deepCopy());
        return f.put("mode", mode).put("mtime", 1);
    }

    private ObjectNode op(String op, String path) {
        return JSON.createObjectNode().put("op", op).put("path", path);
    }

    // ---- tests ----

    @Test
    void withTrustKeys_forgedRecords_areUntrustedMisses_evenOnesThePathRulesAllow() throws Exception {
        Path ci = tmp.resolve("ci.key");
        LarderRun k = LarderRun.of(tmp, Map.of(), "keygen", "--out", ci.toString());
        assertEquals(0, k.exit(), k.stderr());
        String trust = ci + ".pub";
        Run a = larder("a", Map.of(), List.of("--sign-key", ci.toString()), SCRIPT);
        assertEquals("miss", a.stats().result(), "machine a: " + a.describe());
        Recorded r = remote.recorded();

        // As signed, the record replays on a machine trusting CI's key.
        Files.deleteIfExists(work.resolve("out.txt"));
        Run signed = larder("b0", Map.of(), List.of("--trust-key", trust), SCRIPT);
        assertEquals("hit", signed.stats().result(), "the signed record: " + signed.describe());

        // A forged outputs list the path rules cannot fault (out.txt inside the working directory,
        // the wrong content: the recorded stdout's, a body the cache holds under a signed record):
        // without trust keys it would be replayed; with them it is untrusted.
        JsonNode wrongContent = r.outputs().get("stdout");
        forgeFiles(r, f -> f.add(write(work.resolve("out.txt").toString(), wrongContent, 0644)));
        Map<String, String> before = snapshotOutsideWork();
        Files.deleteIfExists(work.resolve("out.txt"));
        Run b = larder("b1", Map.of(), List.of("--trust-key", trust), SCRIPT);
        assertEquals(0, b.exit(), b.describe());
        assertEquals("miss", b.stats().result(), "a forged record was replayed: " + b.describe());
        assertEquals(sorted(), Files.readString(work.resolve("out.txt")), "out.txt is the command's own");
        assertEquals(before, snapshotOutsideWork(), "the area outside the working directory changed");

        // An escaping one too, of course: a miss before any path rule is asked.
        forgeFiles(r, f -> f.add(write(outside.resolve(".bashrc").toString(), wrongContent, 0644)));
        Files.deleteIfExists(work.resolve("out.txt"));
        Run c = larder("b2", Map.of(), List.of("--trust-key", trust), SCRIPT);
        assertEquals("miss", c.stats().result(), c.describe());
        assertEquals("the user's rc\n", Files.readString(outside.resolve(".bashrc")), ".bashrc");
        assertFalse(c.stderr().contains("outside the allowed roots"),
                "an untrusted record never reaches the path rules: " + c.describe());

        // What the keys prevent: a machine trusting every record replays the in-bounds forgery.
        forgeFiles(r, f -> f.add(write(work.resolve("out.txt").toString(), wrongContent, 0644)));
        Files.deleteIfExists(work.resolve("out.txt"));
        Run naive = larder("b3", SCRIPT);
        assertEquals("hit", naive.stats().result(), naive.describe());
        assertEquals("done\n", Files.readString(work.resolve("out.txt")), "no trust keys: the remote's word is taken");
    }

    @Test
    void forgedOutputs_absolutePathOutsideAndDotDot_areRefused() throws Exception {
        Recorded r = recordOnA(SCRIPT);
        JsonNode content = r.outContent();

        forgeFiles(r, f -> f.add(write(outside.resolve(".bashrc").toString(), content, 0644)));
        refusedOnB("b1", outside.resolve(".bashrc") + ": outside the allowed roots");

        forgeFiles(r, f -> f.add(write(work + "/../home/.bashrc", content, 0644)));
        refusedOnB("b2", work + "/../home/.bashrc\": has a .. segment");
    }

    @Test
    void forgedOutputs_symlinkedParentOrPlantedLink_areRefused() throws Exception {
        Recorded r = recordOnA(SCRIPT);
        JsonNode content = r.outContent();
        // The user's own link out of the tree: a write through it would land outside.
        Files.createSymbolicLink(work.resolve("link"), outside);
        forgeFiles(r, f -> f.add(write(work.resolve("link/.bashrc").toString(), content, 0644)));
        refusedOnB("b1", work.resolve("link/.bashrc") + ": outside the allowed roots (the working directory and "
                + "--allow-write); its parent resolves to " + outside);
        Files.delete(work.resolve("link"));

        // A link the record plants, then writes through.
        forgeFiles(r, f -> {
            f.add(JSON.createObjectNode().put("op", "symlink").put("path", work.resolve("evil").toString())
                    .put("target", outside.toString()));
            f.add(write(work.resolve("evil/.bashrc").toString(), content, 0644));
        });
        refusedOnB("b2", work.resolve("evil") + ": symlink target \"" + outside + "\" leads outside the allowed roots");
        assertTrue(!Files.exists(work.resolve("evil"), LinkOption.NOFOLLOW_LINKS), "the planted link was made");
    }

    @Test
    void forgedOutputs_recursiveDeleteAndChmod_areRefused() throws Exception {
        Recorded r = recordOnA(SCRIPT);
        forgeFiles(r, f -> f.add(op("delete", outside.resolve("project").toString())));
        refusedOnB("b1", outside.resolve("project") + ": outside the allowed roots");

        // Inside the tree too, a delete removes no entry the recorded run did not delete itself.
        Files.createDirectories(work.resolve("src"));
        Files.writeString(work.resolve("src/main.c"), "int main(void) { return 0; }\n");
        forgeFiles(r, f -> f.add(op("delete", work.resolve("src").toString())));
        refusedOnB("b2", work.resolve("src") + ": would delete a directory holding main.c");
        assertTrue(Files.isRegularFile(work.resolve("src/main.c")), "src/main.c was deleted");

        forgeFiles(r, f -> f.add(op("mkdir", outside.toString()).put("mode", 0777)));
        refusedOnB("b3", outside + ": outside the allowed roots");
    }

    @Test
    void forgedOutputs_setuidMode_isRefused() throws Exception {
        Recorded r = recordOnA(SCRIPT);
        forgeFiles(r, f -> f.add(write(work.resolve("out.txt").toString(), r.outContent(), 04755)));
        refusedOnB("b1", work.resolve("out.txt") + ": mode 4755 sets the setuid, setgid or sticky bit");
        int mode = (Integer) Files.getAttribute(work.resolve("out.txt"), "unix:mode");
        assertEquals(0, mode & 07000, "out.txt mode: got " + Integer.toOctalString(mode) + ", want no special bits");
    }

    @Test
    void forgedCandidate_truncatedPreconditions_isRefusedByItsDigest() throws Exception {
        Recorded r = recordOnA(SCRIPT);
        // Drop the precondition on in.txt (the digest kept), and make the outputs write stale bytes.
        ObjectNode m = r.manifest().deepCopy();
        ArrayNode pre = (ArrayNode) m.get("candidates").get(0).get("preconditions");
        int dropped = 0;
        for (int i = pre.size() - 1; i >= 0; i--) {
            if (pre.get(i).get("path").asText().endsWith("/in.txt")) {
                pre.remove(i);
                dropped++;
            }
        }
        assertTrue(dropped >= 1, "no precondition on in.txt in " + r.manifest());
        remote.plant(r.manifestKey(), m);
        Files.writeString(work.resolve("in.txt"), "zulu\nyankee\n");
        refusedOnB("b1", "digest does not match its preconditions");
    }

    @Test
    void forgedCandidate_withoutPreconditionsOrFromAnotherCommand_isRefused() throws Exception {
        Recorded other = recordOnA("echo other");
        Recorded r = recordOnA(SCRIPT);
        ActionId identity = ActionId.fromHex(r.manifestKey());
        ObjectNode stale = r.outputs().deepCopy();

        // A candidate with no preconditions, its digest right for this command, its outputs planted.
        String none = TracerKeys.digest(identity, List.of());
        plantCandidate(r, JSON.createObjectNode().put("digest", none).set("preconditions", JSON.createArrayNode()),
                stale);
        Files.writeString(work.resolve("in.txt"), "zulu\nyankee\n");
        refusedOnB("b1", "has no preconditions");

        // The other command's candidate, copied over, its outputs planted under this command.
        plantCandidate(r, other.manifest().get("candidates").get(0).deepCopy(), stale);
        Files.writeString(work.resolve("in.txt"), "xray\nwhiskey\n");
        refusedOnB("b2", "copied from another command's manifest");
    }

    /** Replaces the command's manifest by one holding only {@code candidate}, its outputs {@code outputs}. */
    private void plantCandidate(Recorded r, JsonNode candidate, ObjectNode outputs) throws Exception {
        ObjectNode m = JSON.createObjectNode().put("version", r.manifest().get("version").asInt());
        m.putArray("candidates").add(candidate);
        remote.plant(r.manifestKey(), m);
        String key = TracerKeys.outputs(ActionId.fromHex(r.manifestKey()), candidate.get("digest").asText()).toString();
        remote.plant(key, outputs);
    }

    @Test
    void writeOutsideCwd_replaysOnlyWhereAllowed() throws Exception {
        Path allowed = Files.createDirectories(area.resolve("dist"));
        String script = "sort in.txt > '" + allowed + "/out.txt'; echo done";
        Run a = larder("a", Map.of(), List.of(), script);
        assertEquals("miss", a.stats().result(), a.describe());
        assertTrue(a.stderr().contains("the run wrote 1 paths outside the working directory (a replay needs "
                + "--allow-write DIR or LARDER_ALLOW_WRITE for them): " + allowed.resolve("out.txt")),
                "machine a --explain: " + a.stderr());
        String want = Files.readString(allowed.resolve("out.txt"));

        Files.delete(allowed.resolve("out.txt"));
        Run refused = larder("b1", Map.of(), List.of(), script);
        assertEquals("miss", refused.stats().result(), "without --allow-write: " + refused.describe());
        assertTrue(refused.stderr().contains(allowed.resolve("out.txt") + ": outside the allowed roots"),
                "without --allow-write, --explain: " + refused.stderr());
        assertTrue(refused.stderr().contains("the recorded run wrote 1 paths outside the working directory"),
                "without --allow-write, --explain lists the paths: " + refused.stderr());

        Files.delete(allowed.resolve("out.txt"));
        Run hit = larder("b2", Map.of(), List.of("--allow-write", allowed.toString()), script);
        assertEquals("hit", hit.stats().result(), "with --allow-write: " + hit.describe());
        assertEquals(0, hit.stats().executions(), "with --allow-write: executions");
        assertEquals(want, Files.readString(allowed.resolve("out.txt")), "the replayed file outside cwd");
        assertTrue(hit.stderr().contains("replayed 1 paths outside the working directory (under allowed roots): "
                + allowed.resolve("out.txt")), "with --allow-write, --explain: " + hit.stderr());

        Files.delete(allowed.resolve("out.txt"));
        Run env = larder("b3", Map.of("LARDER_ALLOW_WRITE", "/nonexistent:" + allowed), List.of(), script);
        assertEquals("hit", env.stats().result(), "with LARDER_ALLOW_WRITE: " + env.describe());
        assertEquals(want, Files.readString(allowed.resolve("out.txt")), "the file replayed with LARDER_ALLOW_WRITE");
    }

    // ---- the remote ----

    /** The tracer's own key scheme (package-private there), reached by reflection: an attacker knows it too. */
    static final class TracerKeys {
        private TracerKeys() {
        }

        static String digest(ActionId identity, List<?> preconditions) throws Exception {
            Method m = keys().getDeclaredMethod("digest", ActionId.class, List.class);
            m.setAccessible(true);
            return (String) m.invoke(null, identity, preconditions);
        }

        static ActionId outputs(ActionId identity, String digest) throws Exception {
            Method m = keys().getDeclaredMethod("outputs", ActionId.class, String.class);
            m.setAccessible(true);
            return (ActionId) m.invoke(null, identity, digest);
        }

        private static Class<?> keys() throws ClassNotFoundException {
            return Class.forName("dev.larder.tracer.CacheKeys");
        }
    }

    /**
     * An HTTP cache (bazel-remote's {@code /ac/} and {@code /cas/}) on loopback, holding what is
     * put in memory, that the test can rewrite: a remote anyone with write access controls.
     */
    static final class ForgingRemote implements AutoCloseable {
        private final HttpServer server;
        private final Map<String, byte[]> entries = new ConcurrentHashMap<>();
        private final List<String> seenManifests = new ArrayList<>();

        private ForgingRemote(HttpServer server) {
            this.server = server;
        }

        static ForgingRemote start() throws IOException {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            ForgingRemote r = new ForgingRemote(s);
            s.createContext("/", r::handle);
            s.setExecutor(Executors.newFixedThreadPool(4));
            s.start();
            return r;
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
        }

        private void handle(HttpExchange x) throws IOException {
            try (x) {
                String key = x.getRequestURI().getPath().substring(1);
                switch (x.getRequestMethod()) {
                    case "PUT" -> {
                        try (InputStream in = x.getRequestBody()) {
                            entries.put(key, in.readAllBytes());
                        }
                        x.sendResponseHeaders(200, -1);
                    }
                    case "HEAD" -> x.sendResponseHeaders(entries.containsKey(key) ? 200 : 404, -1);
                    case "GET" -> {
                        byte[] body = entries.get(key);
                        if (body == null) {
                            x.sendResponseHeaders(404, -1);
                        } else {
                            x.sendResponseHeaders(200, body.length);
                            try (OutputStream out = x.getResponseBody()) {
                                out.write(body);
                            }
                        }
                    }
                    default -> x.sendResponseHeaders(405, -1);
                }
            }
        }

        /** The record under {@code /ac/KEY} now: its body's JSON, or null if not JSON. */
        private JsonNode json(String acKey) {
            StoredOutput s = ActionResultCodec.decode(entries.get("ac/" + acKey));
            byte[] body = entries.get("cas/" + s.output());
            try {
                return body == null ? null : JSON.readTree(body);
            } catch (IOException e) {
                return null;
            }
        }

        /**
         * The manifest put since the last call (the newest recording's command), and the outputs
         * list its first candidate names.
         */
        Recorded recorded() throws Exception {
            String manifestKey = null;
            for (String k : entries.keySet()) {
                if (k.startsWith("ac/")) {
                    JsonNode j = json(k.substring(3));
                    if (j != null && j.has("candidates") && !seenManifests.contains(k.substring(3))) {
                        manifestKey = k.substring(3);
                    }
                }
            }
            assertNotNull(manifestKey, "no new manifest on the remote");
            seenManifests.add(manifestKey);
            ObjectNode manifest = (ObjectNode) json(manifestKey);
            String digest = manifest.get("candidates").get(0).get("digest").asText();
            String outputsKey = TracerKeys.outputs(ActionId.fromHex(manifestKey), digest).toString();
            JsonNode outputs = json(outputsKey);
            assertTrue(outputs != null && outputs.has("files"), "no outputs list under " + outputsKey);
            return new Recorded(manifestKey, manifest, outputsKey, (ObjectNode) outputs);
        }

        /** Puts {@code json} as the body of {@code /ac/KEY}: a new {@code /cas/} body and a record naming it. */
        void plant(String acKey, JsonNode json) throws IOException {
            byte[] body = JSON.writeValueAsBytes(json);
            String sha = HexFormat.of().formatHex(DigestUtils.sha256(body));
            entries.put("cas/" + sha, body);
            entries.put("ac/" + acKey, ActionResultCodec.encode(new StoredOutput(Digest.fromHex(sha), body.length,
                    Instant.now())));
        }

        @Override
        public void close() {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }
}
