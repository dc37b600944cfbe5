package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.larder.helper.HelperStats;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the daemon ends by itself, and what a client does without it: it exits after its idle
 * time once its last session has ended (never while one is open), and when the stores it served
 * are deleted; the next helper starts a new one. Where the bridge cannot be built (no {@code cc}),
 * the helper runs in its own JVM and says so once.
 *
 * <p>Each test has its own daemon directory and stores under its temp directory; the test without
 * {@code cc} runs a private copy of the launcher, so that the bridge every other test uses is
 * neither rebuilt nor marked as failed.
 */
class DaemonLifecycleIT {
    /** The idle time of the daemon that must go idle: short, but longer than a JVM start. */
    private static final int IDLE_SECONDS = 3;
    /** How long a daemon may take to notice it should exit and to exit (a busy 2-core machine). */
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    private Path daemonDir;
    private String java;
    /** The environment of every command: this test's daemon directory, the bridge on. */
    private Map<String, String> env;
    /** Every helper a test started: one a failed assertion left open would hold its daemon up. */
    private final List<ProtocolClient> helpers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        daemonDir = tmp.resolve("run");
        java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // LARDER_BRIDGE=1 also where the jvm-fallback execution sets it to 0 for the test JVM;
        // LARDER_JAVA fixes the java command the daemon is keyed by (its socket and log).
        env = new HashMap<>(Map.of("LARDER_DAEMON_DIR", daemonDir.toString(), "LARDER_BRIDGE", "1",
                "LARDER_JAVA", java));
    }

    @AfterEach
    void stop() throws Exception {
        helpers.forEach(ProtocolClient::abort);
        LarderRun.stopDaemons(tmp, env);
    }

    @Test
    void idle_exitsAfterLastSession_notWhileOneIsOpen_nextHelperStartsAnother() throws Exception {
        Map<String, String> shortIdle = with(env, "LARDER_DAEMON_IDLE", Integer.toString(IDLE_SECONDS));
        Path store = tmp.resolve("store");
        Path err = tmp.resolve("held.err");
        // A session held open for longer than the idle time: the one that starts the daemon.
        ProtocolClient held = start(helper(GoCacheProgIT.larder(), shortIdle, store, err),
                Duration.ofMinutes(2));
        Response put = held.put(action("a"), "hello".getBytes(StandardCharsets.UTF_8)).get(1, TimeUnit.MINUTES);
        assertFalse(put.isError(), "put: got " + put);
        long pid = daemonPid(env);
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        Path socket = DaemonPaths.socket(daemonDir, java);
        assertTrue(log().contains("pid " + pid + " listening") && log().contains("idle " + IDLE_SECONDS + " s"),
                "daemon log: got " + log() + ", want the daemon started with LARDER_DAEMON_IDLE");

        // Twice the idle time and a check period with the session open: the daemon stays, and
        // keeps listening (a retiring daemon would unlink its socket at once).
        Instant until = Instant.now().plusSeconds(2L * IDLE_SECONDS + 2);
        while (Instant.now().isBefore(until)) {
            assertTrue(daemon.isAlive() && Files.exists(socket),
                    "with a session open: got the daemon gone or not listening, want it serving; log: " + log());
            try {
                daemon.onExit().get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // still running: the wanted outcome
            }
        }
        assertFalse(log().contains("retiring"), "daemon log with a session open: " + log());
        Response hit = held.get(action("a")).get(1, TimeUnit.MINUTES);
        assertTrue(!hit.isError() && !hit.miss() && hit.diskPath() != null,
                "get after the idle time, in the held session: got " + hit);
        held.close();
        assertEquals(0, held.exitStatus().orElseThrow(), "held session; stderr: " + Files.readString(err));

        // Its last session ended: the daemon exits by itself, for being idle.
        awaitExit(daemon);
        assertTrue(log().contains("retiring: idle for " + IDLE_SECONDS + " s"), "daemon log: " + log());
        assertFalse(Files.exists(socket), "the idle daemon left its socket " + socket);
        LarderRun none = LarderRun.of(tmp, env, "daemon", "status");
        assertEquals(3, none.exit(), "status after the idle exit: " + none.stdout() + none.stderr());

        // The next go command starts a new daemon (with a long idle time, so that it is still
        // there to be asked its pid), which serves the store as it was.
        Map<String, String> longIdle = with(env, "LARDER_DAEMON_IDLE", "600");
        ProtocolClient next = start(helper(GoCacheProgIT.larder(), longIdle, store,
                tmp.resolve("next.err")), Duration.ofMinutes(2));
        Response again = next.get(action("a")).get(1, TimeUnit.MINUTES);
        assertTrue(!again.isError() && !again.miss(), "get through a new daemon: got " + again);
        next.close();
        assertEquals(0, next.exitStatus().orElseThrow(), Files.readString(tmp.resolve("next.err")));
        assertEquals("", Files.readString(tmp.resolve("next.err")), "a helper starting a daemon is silent");
        assertNotEquals(pid, daemonPid(env), "a new daemon serves");
    }

    @Test
    void storeDeleted_daemonExits_nextHelperRecreatesTheStore() throws Exception {
        // A long idle time: only the deletion may end this daemon.
        env.put("LARDER_DAEMON_IDLE", "1800");
        Path store = tmp.resolve("store");
        assertEquals(0, session(store, "a", "hello"), "first session");
        long pid = daemonPid(env);
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        Path socket = DaemonPaths.socket(daemonDir, java);

        deleteTree(store);
        // Waiting on the pid, not on `daemon status`: a status is a session, and the daemon gives
        // a deleted store's clients a few seconds (from the last session) to make it anew.
        awaitExit(daemon);
        assertTrue(log().contains("retiring: every store it served was deleted"), "daemon log: " + log());
        assertFalse(Files.exists(socket), "the exited daemon left its socket " + socket);

        assertEquals(0, session(store, "b", "again"), "session with the same --dir after the exit");
        assertTrue(Files.exists(store.resolve("index.mv.db")), "the store was made anew at " + store);
        ProtocolClient c = start(helper(GoCacheProgIT.larder(), env, store, tmp.resolve("get.err")),
                Duration.ofMinutes(2));
        Response hit = c.get(action("b")).get(1, TimeUnit.MINUTES);
        Response gone = c.get(action("a")).get(1, TimeUnit.MINUTES);
        c.close();
        assertTrue(!hit.isError() && !hit.miss() && Files.exists(Path.of(hit.diskPath())),
                "get from the store made anew: got " + hit);
        assertTrue(hit.diskPath().startsWith(store.toString()), "DiskPath: got " + hit.diskPath() + ", want under " + store);
        assertTrue(gone.miss(), "an entry of the deleted store: got " + gone + ", want a miss");
        assertNotEquals(pid, daemonPid(env), "a new daemon serves");
    }

    @Test
    void noCc_helperFallsBackToItsJvm_saysSoOnce_andGoBuildWorks() throws Exception {
        GoToolchain go124 = GoToolchain.require(GoToolchain.GO124);
        Path root = privateLauncher();
        Path larder = root.resolve("bin/larder");
        Path target = root.resolve("cli/target");
        Map<String, String> noCc = with(env, "PATH", pathWithoutCompilers().toString());
        Path store = tmp.resolve("store");

        // First start: the bridge cannot be built; one line says so, and the session is served.
        Path err1 = tmp.resolve("first.err");
        ProtocolClient first = start(helper(larder, noCc, store, err1), Duration.ofMinutes(5));
        Response put = first.put(action("a"), "hello".getBytes(StandardCharsets.UTF_8)).get(1, TimeUnit.MINUTES);
        assertFalse(put.isError(), "put through the JVM helper: got " + put);
        first.close();
        assertEquals(0, first.exitStatus().orElseThrow(), "first session; stderr: " + Files.readString(err1));
        List<String> lines = Files.readString(err1).lines().toList();
        assertEquals(1, lines.size(), "stderr of the first start: got " + lines + ", want one line");
        assertTrue(lines.get(0).startsWith("larder: note: cannot build the native bridge (")
                        && lines.get(0).contains("cc") && lines.get(0).endsWith("; using the JVM helper"),
                "stderr of the first start: got " + lines.get(0));
        assertFalse(Files.exists(target.resolve("larder-bridge")), "a bridge was built without cc");
        assertTrue(Files.exists(target.resolve("larder-bridge.failed")), "the failed build is not remembered");
        assertNoDaemon();

        // The next start does not try again (nor say so again) while the bridge's source is unchanged.
        Path err2 = tmp.resolve("second.err");
        ProtocolClient second = start(helper(larder, noCc, store, err2), Duration.ofMinutes(2));
        Response hit = second.get(action("a")).get(1, TimeUnit.MINUTES);
        second.close();
        assertTrue(!hit.isError() && !hit.miss(), "get in the second session: got " + hit);
        assertEquals("", Files.readString(err2), "stderr of the second start");

        // A real go command with the fallback as its GOCACHEPROG: it builds, through the cache,
        // and shows no note from the helper.
        Path stats = tmp.resolve("stats.json");
        Files.createDirectories(tmp.resolve("gocache"));
        Files.createDirectories(tmp.resolve("home"));
        Map<String, String> goEnv = new HashMap<>(noCc);
        goEnv.put("GOCACHEPROG", larder + " helper --dir " + store + " --stats-json " + stats);
        goEnv.put("GOCACHE", tmp.resolve("gocache").toString());
        GoRun.Result build = new GoRun(go124, tmp.resolve("home"), goEnv)
                .run(GoModule.write(tmp.resolve("mod")), "build", "./...").assertSuccess();
        assertFalse(build.output().contains("larder"), "go build output: got " + build.output() + ", want no note");
        HelperStats s = StatsJson.helper(stats);
        assertTrue(s.puts() > 0 && s.errors() == 0, "go build through the JVM helper: stats " + s);
        assertFalse(Files.exists(target.resolve("larder-bridge")), "a bridge was built without cc");
        assertNoDaemon();

        // A changed bridge source is tried again, and its failure said again, once.
        // (The record of the failure dated before the source: as after an edit of the source.)
        Files.setLastModifiedTime(target.resolve("larder-bridge.failed"), FileTime.from(
                Files.getLastModifiedTime(root.resolve("cli/src/main/c/larder-bridge.c")).toInstant().minusSeconds(2)));
        Path err3 = tmp.resolve("third.err");
        ProtocolClient third = start(helper(larder, noCc, store, err3), Duration.ofMinutes(2));
        third.close();
        assertEquals(1, Files.readString(err3).lines().filter(l -> l.contains("cannot build the native bridge"))
                .count(), "stderr after the bridge's source changed: " + Files.readString(err3));
    }

    /**
     * A copy of the launcher in a root of its own, with the built jar and the bridge's source
     * but no bridge: what a fresh clone looks like to {@code bin/larder} once the jar is built.
     * Nothing in it is newer than the jar but the launcher, which is not a build input.
     */
    private Path privateLauncher() throws IOException {
        Path root = tmp.resolve("clone");
        Path real = GoCacheProgIT.larder().getParent().getParent();
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("cli/target"));
        Files.createDirectories(root.resolve("cli/src/main/c"));
        Files.copy(real.resolve("cli/src/main/c/larder-bridge.c"), root.resolve("cli/src/main/c/larder-bridge.c"));
        Files.copy(Path.of(System.getProperty("larder.jar")), root.resolve("cli/target/larder-all.jar"));
        Files.copy(real.resolve("bin/larder"), root.resolve("bin/larder"), StandardCopyOption.COPY_ATTRIBUTES);
        return root;
    }

    /**
     * A directory of links to every program on the system's PATH but the C compilers: a machine
     * without {@code cc}. The launcher finds everything else it runs (find, flock, sha256sum, ...).
     */
    private Path pathWithoutCompilers() throws IOException {
        Set<String> compilers = Set.of("cc", "gcc", "c89", "c99", "clang", "tcc");
        Path bin = Files.createDirectories(tmp.resolve("no-cc-bin"));
        for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
            if (!Files.isDirectory(Path.of(dir))) {
                continue;
            }
            try (Stream<Path> s = Files.list(Path.of(dir))) {
                for (Path p : s.toList()) {
                    String name = p.getFileName().toString();
                    if (!compilers.contains(name) && !name.matches("(.*-)?(gcc|cc|clang)(-[0-9.]+)?")
                            && !Files.exists(bin.resolve(name)) && Files.isExecutable(p)) {
                        Files.createSymbolicLink(bin.resolve(name), p);
                    }
                }
            }
        }
        assertFalse(Files.exists(bin.resolve("cc")), "cc left on the PATH of a machine without cc");
        return bin;
    }

    private void assertNoDaemon() throws IOException {
        if (Files.isDirectory(daemonDir)) {
            try (Stream<Path> s = Files.list(daemonDir)) {
                List<Path> sockets = s.filter(p -> p.toString().endsWith(".sock")).toList();
                assertEquals(List.of(), sockets, "the JVM helper started a daemon");
            }
        }
    }

    /** Starts a helper and waits for its handshake; {@link #stop} aborts it if the test did not end it. */
    private ProtocolClient start(ProcessBuilder helper, Duration handshake) throws IOException {
        ProtocolClient c = ProtocolClient.start(helper, handshake);
        helpers.add(c);
        return c;
    }

    /** {@code LAUNCHER helper --dir STORE} with {@code env} added and stderr to {@code err}. */
    private static ProcessBuilder helper(Path launcher, Map<String, String> env, Path store, Path err) {
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "helper", "--dir", store.toString())
                .redirectError(err.toFile());
        pb.environment().remove("CC"); // the launcher's compiler is cc on PATH here
        pb.environment().putAll(env);
        return pb;
    }

    /** One helper session through bin/larder putting {@code body} for {@code name}; its exit status. */
    private int session(Path store, String name, String body) throws Exception {
        Path err = Files.createTempFile(tmp, "session", ".err");
        ProtocolClient c = start(helper(GoCacheProgIT.larder(), env, store, err), Duration.ofMinutes(2));
        Response put = c.put(action(name), body.getBytes(StandardCharsets.UTF_8)).get(1, TimeUnit.MINUTES);
        c.close();
        assertFalse(put.isError(), "put " + name + ": got " + put + "; stderr: " + Files.readString(err));
        return c.exitStatus().orElseThrow();
    }

    /** Waits (bounded) until the daemon has exited. */
    private void awaitExit(ProcessHandle daemon) throws Exception {
        try {
            daemon.onExit().get(EXIT_WITHIN.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            fail("daemon " + daemon.pid() + ": still running after " + EXIT_WITHIN.toSeconds() + " s, want it exited; log: "
                    + log());
        }
    }

    private long daemonPid(Map<String, String> env) throws Exception {
        LarderRun s = LarderRun.of(tmp, env, "daemon", "status");
        assertEquals(0, s.exit(), "daemon status: " + s.stdout() + s.stderr());
        Matcher m = Pattern.compile("(?m)^pid\\s+(\\d+)").matcher(s.stdout());
        assertTrue(m.find(), "status: got " + s.stdout() + ", want a pid line");
        return Long.parseLong(m.group(1));
    }

    private String log() throws IOException {
        Path log = DaemonPaths.log(daemonDir, java);
        return Files.exists(log) ? Files.readString(log) : "(no log at " + log + ")";
    }

    private static Map<String, String> with(Map<String, String> env, String name, String value) {
        Map<String, String> m = new HashMap<>(env);
        m.put(name, value);
        return m;
    }

    private static ActionId action(String name) {
        return new ActionId(DigestUtils.sha256(name.getBytes(StandardCharsets.UTF_8)));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
