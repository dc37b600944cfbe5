package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.Response;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon through the real launcher and bridge: sessions served by one long-lived process,
 * its status and stop, hand-over to a newer build, a daemon killed mid-session, other users
 * refused, unsafe directories refused, and storms of sessions.
 */
class DaemonIT {
    @TempDir
    Path tmp;
    private Path daemonDir;
    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        daemonDir = tmp.resolve("run");
        env = new HashMap<>(Map.of("LARDER_DAEMON_DIR", daemonDir.toString(), "LARDER_BRIDGE", "1"));
    }

    @AfterEach
    void stop() throws Exception {
        LarderRun.stopDaemons(tmp, env);
    }

    private static String sha(String s) throws Exception {
        return java.util.Base64.getEncoder().encodeToString(DigestUtils.sha256(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** A helper session through bin/larder fed {@code input}; returns (exit, stdout, stderr). */
    private LarderRun helper(String input, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "helper",
                "--dir", tmp.resolve("store").toString()));
        cmd.addAll(List.of(extra));
        Path in = Files.writeString(Files.createTempFile(tmp, "in", ".txt"), input);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "helper did not finish");
        return new LarderRun(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private String putGetClose(String action, String body) throws Exception {
        String b64 = java.util.Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8));
        return "{\"ID\":1,\"Command\":\"put\",\"ActionID\":\"" + sha(action) + "\",\"OutputID\":\"" + sha(body)
                + "\",\"BodySize\":" + body.length() + "}\n\n\"" + b64 + "\"\n"
                + "{\"ID\":2,\"Command\":\"close\"}\n\n";
    }

    private String getClose(String action) throws Exception {
        return "{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"" + sha(action) + "\"}\n\n{\"ID\":2,\"Command\":\"close\"}\n\n";
    }

    private long daemonPid() throws Exception {
        LarderRun s = LarderRun.of(tmp, env, "daemon", "status");
        assertEquals(0, s.exit(), "daemon status: " + s.stderr());
        Matcher m = Pattern.compile("(?m)^pid\\s+(\\d+)").matcher(s.stdout());
        assertTrue(m.find(), "status: got " + s.stdout() + ", want a pid line");
        return Long.parseLong(m.group(1));
    }

    @Test
    void helper_startsDaemonOnDemand_laterSessionsShareIt() throws Exception {
        LarderRun put = helper(putGetClose("a", "hello"));
        assertEquals(0, put.exit(), "put session: " + put.stderr());
        assertEquals("", put.stderr(), "a session through the daemon says nothing on stderr");
        assertTrue(put.stdout().startsWith("{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"]}\n"), put.stdout());
        long pid = daemonPid();
        LarderRun get = helper(getClose("a"));
        assertEquals(0, get.exit(), get.stderr());
        assertTrue(get.stdout().contains("\"DiskPath\":\"" + tmp.resolve("store")), "get: got " + get.stdout());
        assertEquals(pid, daemonPid(), "the second session is served by the same daemon");
        LarderRun status = LarderRun.of(tmp, env, "daemon", "status");
        assertTrue(status.stdout().contains("store     " + tmp.resolve("store")), status.stdout());
        assertTrue(Pattern.compile("sessions\\s+[3-9]\\d* served").matcher(status.stdout()).find(), status.stdout());
        assertTrue(Files.isRegularFile(Path.of("/proc/" + pid + "/status")), "the daemon runs");

        LarderRun stop = LarderRun.of(tmp, env, "daemon", "stop");
        assertEquals(0, stop.exit(), stop.stderr());
        LarderRun none = LarderRun.of(tmp, env, "daemon", "status");
        assertEquals(3, none.exit(), "status after stop: " + none.stdout() + none.stderr());
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).join());
    }

    @Test
    void storeDeletedAndMadeAnew_nextSessionServesTheNewStore() throws Exception {
        assertEquals(0, helper(putGetClose("a", "hello")).exit());
        long pid = daemonPid();
        // rm -rf of the store, then the next go command at once: the daemon still has the old
        // store open, whose index and blobs are gone.
        try (java.util.stream.Stream<Path> s = Files.walk(tmp.resolve("store"))) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        LarderRun miss = helper(getClose("a"));
        assertEquals(0, miss.exit(), miss.stderr());
        assertTrue(miss.stdout().contains("\"Miss\":true"), "a deleted store's entry: got " + miss.stdout());
        LarderRun put = helper(putGetClose("b", "again"));
        assertEquals(0, put.exit(), put.stderr());
        assertFalse(put.stdout().contains("Err"), "a put into the store made anew: got " + put.stdout());
        LarderRun hit = helper(getClose("b"));
        assertTrue(hit.stdout().contains("\"DiskPath\":\"" + tmp.resolve("store")), "then a hit: got " + hit.stdout());
        assertTrue(Files.exists(Path.of(hit.stdout().replaceAll("(?s).*\"DiskPath\":\"([^\"]+)\".*", "$1"))));
        assertEquals(pid, daemonPid(), "the same daemon served the new store");
        LarderRun verify = LarderRun.of(tmp, env, "verify", "--dir", tmp.resolve("store").toString());
        assertEquals(0, verify.exit(), verify.stdout() + verify.stderr());
    }

    @Test
    void upkeep_goesThroughRunningDaemon() throws Exception {
        assertEquals(0, helper(putGetClose("a", "hello")).exit());
        long pid = daemonPid();
        LarderRun stats = LarderRun.of(tmp, env, "stats", "--dir", tmp.resolve("store").toString(), "--json");
        assertEquals(0, stats.exit(), stats.stderr());
        assertTrue(stats.stdout().contains("\"entries\" : 1"), stats.stdout());
        LarderRun verify = LarderRun.of(tmp, env, "verify", "--dir", tmp.resolve("store").toString());
        assertEquals(0, verify.exit(), verify.stderr());
        LarderRun status = LarderRun.of(tmp, env, "daemon", "status");
        Matcher m = Pattern.compile("sessions\\s+(\\d+) served").matcher(status.stdout());
        assertTrue(m.find(), status.stdout());
        assertTrue(Long.parseLong(m.group(1)) >= 4, "helper, status, stats and verify were served: " + status.stdout());
        assertEquals(pid, daemonPid());
    }

    @Test
    void logLevel_isEachSessionsOwn_whateverTheDaemonWasStartedWith() throws Exception {
        // The daemon is started by a session at the default level.
        LarderRun quiet = helper(putGetClose("a", "hello"));
        assertEquals("", quiet.stderr(), "a default-level session says nothing");
        long pid = daemonPid();
        // A debug session of the same daemon gets its debug lines, and stdout stays the protocol's.
        env.put("LARDER_LOG", "debug");
        LarderRun debug = helper(getClose("a"));
        assertEquals(0, debug.exit(), debug.stderr());
        assertTrue(debug.stderr().contains("larder: get ") && debug.stderr().contains(": hit"),
                "a debug session: got stderr " + debug.stderr() + ", want its debug lines");
        assertTrue(debug.stdout().lines().allMatch(l -> l.isEmpty() || l.startsWith("{")), debug.stdout());
        // While a debug session is open, a session at the default level still gets none of them.
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir",
                tmp.resolve("store").toString()).redirectError(tmp.resolve("debug-open.txt").toFile());
        pb.environment().putAll(env);
        ProtocolClient open = ProtocolClient.start(pb, Duration.ofSeconds(30));
        assertFalse(open.get(new ActionId(digest("a"))).get(30, TimeUnit.SECONDS).isError());
        env.remove("LARDER_LOG");
        LarderRun quietBeside = helper(getClose("never put"));
        assertEquals(0, quietBeside.exit());
        assertEquals("", quietBeside.stderr(), "a default-level session beside a debug one says nothing");
        open.close();
        String openErr = Files.readString(tmp.resolve("debug-open.txt"));
        assertTrue(openErr.contains(": hit"), "the open debug session got its own lines: " + openErr);
        assertFalse(openErr.contains(": miss"), "and not the other session's (a miss): " + openErr);
        // An unknown level is said to the session that named it, once, and it runs at warn.
        env.put("LARDER_LOG", "chatty");
        LarderRun odd = helper(getClose("a"));
        assertEquals(0, odd.exit(), odd.stderr());
        assertEquals("larder: warning: LARDER_LOG=chatty is not one of error, warn, info, debug; using warn",
                odd.stderr().strip());
        assertEquals(pid, daemonPid(), "one daemon served every level");
    }

    @Test
    void relativePaths_resolveAgainstTheClientsDirectory() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path in = Files.writeString(tmp.resolve("in.txt"), putGetClose("rel", "relative"));
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir", "rel-store",
                "--stats-json", "s.json").directory(work.toFile()).redirectInput(in.toFile())
                .redirectOutput(tmp.resolve("o.txt").toFile()).redirectError(tmp.resolve("e.txt").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("e.txt")));
        assertTrue(Files.exists(work.resolve("rel-store/index.mv.db")), "store made in the client's directory");
        assertTrue(Files.readString(work.resolve("s.json")).contains("\"puts\" : 1"), "stats in the client's directory");
    }

    @Test
    void newerBuild_retiresTheDaemon_andNoSessionFails() throws Exception {
        assertEquals(0, helper(putGetClose("a", "hello")).exit());
        long old = daemonPid();
        String java = DaemonPaths.java(Map.of("LARDER_RESOLVED_JAVA", javaOfLauncher()));
        Path socket = DaemonPaths.socket(daemonDir, java);
        // A session in flight on the old daemon, across the hand-over.
        Optional<DaemonClient.Session> inFlight = DaemonClient.Session.open(socket, new DaemonWire.Hello("1",
                currentBuild(), java, tmp, List.of("helper", "--dir", tmp.resolve("store").toString()), env),
                new PrintStream(OutputStream.nullOutputStream()));
        assertTrue(inFlight.isPresent(), "the daemon accepts a client of its own build");
        ProtocolClient c = ProtocolClient.connect(inFlight.get().stdout(), inFlight.get().stdin(), Duration.ofSeconds(30));
        // A client of a later build: the daemon retires, and says so to it.
        Optional<DaemonClient.Session> newer = DaemonClient.Session.open(socket, new DaemonWire.Hello("1",
                "1-1-" + (DaemonPaths.buildTime(currentBuild()) + 1), java, tmp, List.of("helper"), env),
                new PrintStream(OutputStream.nullOutputStream()));
        assertTrue(newer.isEmpty(), "a newer client is told the daemon is retiring");
        assertFalse(Files.exists(socket), "the retiring daemon stopped listening");
        // The old session goes on.
        Response hit = c.get(new ActionId(digest("a"))).get(30, TimeUnit.SECONDS);
        assertTrue(hit.diskPath() != null && !hit.isError(), "in-flight get: got " + hit);
        // The next go command starts a fresh daemon.
        LarderRun next = helper(getClose("a"));
        assertEquals(0, next.exit(), next.stderr());
        assertTrue(next.stdout().contains("DiskPath"), next.stdout());
        assertNotEquals(old, daemonPid(), "a new daemon serves");
        c.close();
        assertEquals(0, inFlight.get().waitFor(), "the old daemon finished its session");
        ProcessHandle.of(old).ifPresent(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).join());
    }

    @Test
    void daemonKilledMidSession_helperSeesEof_nextSessionStartsAnother() throws Exception {
        assertEquals(0, helper(putGetClose("a", "hello")).exit());
        long pid = daemonPid();
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir",
                tmp.resolve("store").toString()).redirectError(tmp.resolve("killed.txt").toFile());
        pb.environment().putAll(env);
        ProtocolClient c = ProtocolClient.start(pb, Duration.ofSeconds(30));
        assertFalse(c.get(new ActionId(digest("a"))).get(30, TimeUnit.SECONDS).isError());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).join());
        c.abort();
        // The bridge ends like a helper that died: cmd/go sees its output end.
        String err = Files.readString(tmp.resolve("killed.txt"));
        assertTrue(err.contains("ended the session early"), "stderr: got " + err);
        LarderRun next = helper(getClose("a"));
        assertEquals(0, next.exit(), next.stderr());
        assertTrue(next.stdout().contains("DiskPath"), "the store survived: " + next.stdout());
        assertNotEquals(pid, daemonPid());
    }

    @Test
    void unsafeDirectory_isRefused_andTheHelperRunsInItsOwnJvm() throws Exception {
        Files.createDirectories(daemonDir);
        Files.setPosixFilePermissions(daemonDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        LarderRun r = helper(putGetClose("a", "hello"));
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(r.stdout().contains("DiskPath"), r.stdout());
        assertTrue(r.stderr().contains("daemon directory " + daemonDir) && r.stderr().contains("mode 0755"),
                "stderr: got " + r.stderr() + ", want one line naming the directory and its mode");
        assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
        try (var ds = Files.newDirectoryStream(daemonDir, "*.sock")) {
            assertFalse(ds.iterator().hasNext(), "no daemon listens in an unsafe directory");
        }
    }

    @Test
    void anotherUser_isRefused() throws Exception {
        Path setpriv = Path.of("/usr/bin/setpriv");
        org.junit.jupiter.api.Assumptions.assumeTrue(DaemonPaths.uid() == 0 && Files.isExecutable(setpriv)
                && Files.isExecutable(Path.of("/usr/bin/python3")),
                "needs root and setpriv to connect as another user");
        assertEquals(0, helper(putGetClose("a", "hello")).exit());
        String java = DaemonPaths.java(Map.of("LARDER_RESOLVED_JAVA", javaOfLauncher()));
        Path socket = DaemonPaths.socket(daemonDir, java);
        // Open the way on purpose (a mistake a user could make): the uid check must still refuse.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(daemonDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));
        // A well-formed hello (the daemon's status, which anyone it served would be shown).
        java.io.ByteArrayOutputStream hello = new java.io.ByteArrayOutputStream();
        DaemonWire.writeHello(hello, new DaemonWire.Hello("1", currentBuild(), java, tmp, List.of("daemon", "status"),
                Map.of()));
        // Closed unanswered either way: before the hello is written (a broken pipe) or after it.
        String probe = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                + "try:\n    s.sendall(bytes.fromhex(sys.argv[2]))\n    d=s.recv(1)\n"
                + "except (BrokenPipeError, ConnectionResetError):\n    d=b''\nprint('got', d)\n";
        Process p = new ProcessBuilder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", probe, socket.toString(),
                HexFormat.of().formatHex(hello.toByteArray())).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains("got b''"), "another user's connection: got " + out + ", want it closed unanswered");
        Files.setPosixFilePermissions(daemonDir, PosixFilePermissions.fromString("rwx------"));
        String log = Files.readString(DaemonPaths.log(daemonDir, java));
        assertTrue(log.contains("refused a connection from user nobody"), "daemon log: " + log);
    }

    @Test
    void clientStalledInItsHello_isCutOff_andTheDaemonStillGoesIdle() throws Exception {
        String javaCmd = javaKey();
        Path socket = warmDaemon(javaCmd);
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            ch.write(java.nio.ByteBuffer.wrap("LRDR\0\0".getBytes(StandardCharsets.US_ASCII))); // and then nothing
            // The daemon closes it (bounded wait: a read that ends; a stalled daemon fails the test).
            CompletableFutureRead end = new CompletableFutureRead(ch);
            assertEquals(-1, end.result(60), "a stalled hello: want the connection closed by the daemon");
        }
        String log = Files.readString(DaemonPaths.log(daemonDir, javaCmd));
        assertTrue(log.contains("no hello within"), "daemon log: " + log);
        LarderRun status = LarderRun.of(tmp, env, "daemon", "status");
        assertTrue(status.stdout().contains(" 0 now"), "the stalled client holds no session: " + status.stdout());
    }

    /** A read of one byte on its own thread, waited for at most a given time. */
    private static final class CompletableFutureRead {
        private final java.util.concurrent.CompletableFuture<Integer> read;

        CompletableFutureRead(java.nio.channels.SocketChannel ch) {
            read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return ch.read(java.nio.ByteBuffer.allocate(1));
                } catch (java.io.IOException e) {
                    return -1; // reset: closed as well
                }
            });
        }

        int result(long seconds) throws Exception {
            return read.get(seconds, TimeUnit.SECONDS);
        }
    }

    @Test
    void storm_200SessionsAtOnce_allSucceed() throws Exception {
        String java = javaKey();
        Path socket = warmDaemon(java);
        ExecutorService pool = Executors.newFixedThreadPool(200);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            results.add(pool.submit(() -> session(socket, java, n, 100)));
        }
        pool.shutdown();
        for (Future<String> f : results) {
            assertEquals("ok", f.get(5, TimeUnit.MINUTES));
        }
    }

    @Test
    void tenThousandSessions_heapStaysBounded() throws Exception {
        String java = javaKey();
        Path socket = warmDaemon(java);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long after1k = 0;
        for (int round = 0; round < 10; round++) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int n = round * 1000 + i;
                results.add(pool.submit(() -> session(socket, java, n, 2)));
            }
            for (Future<String> f : results) {
                assertEquals("ok", f.get(5, TimeUnit.MINUTES));
            }
            if (round == 0) {
                after1k = heapAfterGc();
            }
        }
        pool.shutdown();
        long after10k = heapAfterGc();
        assertTrue(after10k - after1k < 32L << 20, "heap after 1,000 sessions " + (after1k >> 20) + " MiB, after 10,000 "
                + (after10k >> 20) + " MiB: want less than 32 MiB of growth");
    }

    @Test
    void put256MiB_throughTheBridge_isStreamed_heapStaysSmall() throws Exception {
        long size = 256L << 20;
        MessageDigest md = DigestUtils.getSha256Digest();
        try (java.io.InputStream in = new java.security.DigestInputStream(new PatternStream(7, size), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        OutputId output = new OutputId(md.digest());
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir",
                tmp.resolve("store").toString()).redirectError(tmp.resolve("big.txt").toFile());
        pb.environment().putAll(env);
        ProtocolClient c = ProtocolClient.start(pb, Duration.ofSeconds(60));
        Response put = c.put(new ActionId(digest("big")), output, size, new PatternStream(7, size))
                .get(5, TimeUnit.MINUTES);
        assertFalse(put.isError(), "put: got " + put + "; stderr: " + Files.readString(tmp.resolve("big.txt")));
        assertEquals(size, Files.size(Path.of(put.diskPath())));
        c.close();
        assertEquals(0, c.exitStatus().orElseThrow());
        long live = heapAfterGc();
        assertTrue(live < 64L << 20, "daemon heap after a 256 MiB put: got " + (live >> 20) + " MiB, want < 64 MiB");
    }

    /** The java command the launcher keys the daemon by in this environment. */
    private static String javaKey() {
        return DaemonPaths.java(Map.of("LARDER_RESOLVED_JAVA", javaOfLauncher()));
    }

    /** Starts the daemon with one stored output ("warm" → "up") and returns its socket. */
    private Path warmDaemon(String java) throws Exception {
        assertEquals(0, helper(putGetClose("warm", "up")).exit());
        return DaemonPaths.socket(daemonDir, java);
    }

    /** One session through the daemon's socket: handshake, a put every tenth, {@code gets} gets, close. */
    private String session(Path socket, String java, int n, int gets) throws Exception {
        Optional<DaemonClient.Session> s = DaemonClient.Session.open(socket, new DaemonWire.Hello("1", currentBuild(),
                java, tmp, List.of("helper", "--dir", tmp.resolve("store").toString()), env),
                new PrintStream(OutputStream.nullOutputStream()));
        if (s.isEmpty()) {
            return "session " + n + ": refused";
        }
        ProtocolClient c = ProtocolClient.connect(s.get().stdout(), s.get().stdin(), Duration.ofSeconds(60));
        if (n % 10 == 0) {
            byte[] body = ("body " + n).getBytes(StandardCharsets.UTF_8);
            Response put = c.put(new ActionId(digest("action " + n)), new OutputId(DigestUtils.sha256(body)),
                    body.length, new ByteArrayInputStream(body)).get(60, TimeUnit.SECONDS);
            if (put.isError()) {
                return "session " + n + ": put: " + put;
            }
        }
        List<java.util.concurrent.CompletableFuture<Response>> pending = new ArrayList<>();
        for (int i = 0; i < gets; i++) {
            pending.add(c.get(new ActionId(digest(i % 2 == 0 ? "warm" : "missing " + i))));
        }
        for (int i = 0; i < gets; i++) {
            Response r = pending.get(i).get(60, TimeUnit.SECONDS);
            if (r.isError() || (i % 2 == 0) == r.miss()) {
                return "session " + n + ": get " + i + ": " + r;
            }
        }
        c.close();
        int code = s.get().waitFor();
        return code == 0 ? "ok" : "session " + n + ": exit " + code;
    }

    /** The daemon's heap in use right after a full collection, from its status. */
    private long heapAfterGc() throws Exception {
        LarderRun s = LarderRun.of(tmp, env, "daemon", "status");
        Matcher m = Pattern.compile("(?m)^heap\\s+(\\d+) bytes live").matcher(s.stdout());
        assertTrue(m.find(), "status: got " + s.stdout() + ", want a heap line");
        return Long.parseLong(m.group(1));
    }

    private static byte[] digest(String s) throws Exception {
        return DigestUtils.sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String currentBuild() {
        return DaemonPaths.buildId(Path.of(System.getProperty("larder.jar")));
    }

    /** The java command bin/larder resolves in this environment (JAVA_HOME's, else java on PATH). */
    private static String javaOfLauncher() {
        String home = System.getenv("JAVA_HOME");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "java"))) {
            return home + "/bin/java";
        }
        return "java";
    }
}
