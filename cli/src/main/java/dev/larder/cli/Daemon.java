package dev.larder.cli;

import dev.larder.storage.h2.LocalStore;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The long-lived larder process of one user (and one JVM choice): it serves any number of
 * clients at once, one session per connection on its Unix socket, each running a larder command
 * line ({@link #SERVED}) as that client would have run it, with the client's arguments,
 * environment, working directory and streams. It owns the stores its sessions open
 * ({@link LocalStore#hostInProcess}): each is opened once, its index held in this process.
 *
 * <p>Only the user who started it may connect: the socket lives in a directory only that user can
 * enter ({@link DaemonPaths#ensure}), and each connection's peer uid is checked (SO_PEERCRED).
 * It exits after {@link #idle} with no session, when every store it served has been deleted,
 * when its socket is removed, or when asked to retire: by {@code larder daemon stop}, or by a
 * client from a newer build, which then starts a fresh daemon. Retiring, it stops listening at
 * once and finishes the sessions in flight.
 */
final class Daemon {
    /** The commands a client may run through the daemon. */
    static final Set<String> SERVED = Set.of("helper", "stats", "trim", "verify");
    private static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    /** How long after the last session an idle daemon collects its heap. */
    private static final Duration IDLE_GC = Duration.ofSeconds(10);
    /** With every store deleted, how long the daemon still waits for a session (a new store) before it exits. */
    private static final Duration STORES_GONE_GRACE = Duration.ofSeconds(5);
    private static final System.Logger LOG = System.getLogger("dev.larder.cli");

    private final Path dir;
    private final Path socket;
    private final String java;
    private final String build;
    private final Duration idle;
    private final PrintStream log;
    private final Instant started = Instant.now();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile long lastEndNanos = System.nanoTime();
    private volatile boolean retiring;
    private volatile String retireReason = "";
    private volatile boolean hadStores;
    /** Whether the heap was collected since the last session ended (an idle daemon gives memory back). */
    private volatile boolean collected;
    private final Path warmUpStore;
    private ServerSocketChannel server;
    private Object socketKey;
    private UserPrincipal self;

    Daemon(Path dir, String java, String build, Duration idle, PrintStream log) {
        this.dir = dir;
        this.socket = DaemonPaths.socket(dir, java);
        this.java = java;
        this.build = build;
        this.idle = idle;
        this.log = log;
        this.warmUpStore = dir.resolve("warm-up-" + ProcessHandle.current().pid());
    }

    /** How long a daemon waits with no session before it exits: {@code LARDER_DAEMON_IDLE} seconds, default 1800. */
    static Duration idle(Map<String, String> env) {
        String s = env.get("LARDER_DAEMON_IDLE");
        try {
            return s == null || s.isBlank() ? Duration.ofMinutes(30) : Duration.ofSeconds(Long.parseLong(s.trim()));
        } catch (NumberFormatException e) {
            return Duration.ofMinutes(30);
        }
    }

    /**
     * Listens and serves until it is time to exit.
     *
     * @return 0 when it served and exited, or when another daemon was already listening
     * @throws IOException if the socket cannot be made
     */
    int run() throws IOException {
        self = Files.getOwner(Path.of("/proc/self"));
        if (!bind()) {
            log.println("larder daemon: another daemon already listens on " + socket);
            return 0;
        }
        log.println("larder daemon: pid " + ProcessHandle.current().pid() + " listening on " + socket + " (build "
                + build + ", java " + java + ", idle " + idle.toSeconds() + " s)");
        LocalStore.hostInProcess();
        Thread watcher = new Thread(this::watch, "larder-daemon-watch");
        watcher.setDaemon(true);
        watcher.start();
        Thread warm = new Thread(this::warmUp, "larder-daemon-warm-up");
        warm.setDaemon(true);
        warm.start();
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                break; // retiring: no new sessions
            } catch (IOException e) {
                // Out of file descriptors, say: the sessions in flight go on; so does listening.
                log.println("larder daemon: accept: " + e.getMessage());
                pauseAfterFailedAccept();
                continue;
            }
            if (!sameUser(ch)) {
                refused.incrementAndGet();
                ch.close();
                continue;
            }
            active.incrementAndGet();
            Thread t = new Thread(() -> session(ch), "larder-session-" + served.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
        awaitSessions();
        return 0;
    }

    /** How long a client may take to send its hello. */
    private static final Duration HELLO_PATIENCE = Duration.ofSeconds(10);
    /** Cuts off clients that stall in their hello; one daemon thread. */
    private static final ScheduledExecutorService TIMER =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "larder-daemon-hello-timer");
                t.setDaemon(true);
                return t;
            });

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void pauseAfterFailedAccept() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Binds the socket, unless a live daemon answers on it; a stale socket file is replaced. */
    private boolean bind() throws IOException {
        try (FileChannel lockFile = FileChannel.open(DaemonPaths.lock(dir, java, "bind"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (DaemonClient.alive(socket)) {
                    return false;
                }
                Files.delete(socket);
            }
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket), 256);
            socketKey = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            return true;
        }
    }

    private boolean sameUser(SocketChannel ch) {
        try {
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (peer.user().equals(self)) {
                return true;
            }
            log.println("larder daemon: refused a connection from user " + peer.user().getName());
        } catch (IOException | UnsupportedOperationException e) {
            log.println("larder daemon: refused a connection whose peer cannot be told: " + e.getMessage());
        }
        return false;
    }

    private void session(SocketChannel ch) {
        try (ch) {
            InputStream in = new BufferedInputStream(DaemonWire.in(ch), 64 * 1024);
            DaemonWire.FrameWriter frames = new DaemonWire.FrameWriter(DaemonWire.out(ch));
            DaemonWire.Hello hello;
            // A client that stalls in its hello (stopped, or not a larder client) is cut off:
            // it would hold a session, and so keep the daemon from ever going idle. After the
            // hello, a quiet client is normal (cmd/go between requests).
            // The cut-off logs, then ends the read; this thread closes the connection after the
            // session is no longer counted, so whoever sees the close sees the count fallen too.
            java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
            ScheduledFuture<?> cutOff = TIMER.schedule(() -> {
                stalled.set(true);
                log.println("larder daemon: no hello within " + HELLO_PATIENCE.toSeconds() + " s, connection closed");
                try {
                    ch.shutdownInput();
                } catch (IOException e) {
                    closeQuietly(ch);
                }
            }, HELLO_PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            try {
                hello = DaemonWire.readHello(in);
            } catch (IOException e) {
                if (!stalled.get()) { // the cut-off said why
                    log.println("larder daemon: " + e.getMessage());
                }
                uncount();
                return;
            } finally {
                cutOff.cancel(false);
            }
            if (hello == null || stalled.get()) {
                uncount();
                return; // a probe (is anyone listening?), or cut off
            }
            List<String> args = hello.args();
            if (!args.isEmpty() && args.get(0).equals("daemon")) {
                control(args, frames);
                return;
            }
            if (!DaemonWire.VERSION.equals(hello.version())
                    || !build.equals(hello.build()) && DaemonPaths.buildTime(hello.build()) > DaemonPaths.buildTime(build)) {
                retire("a client of a newer build (" + hello.build() + ") arrived");
                byte[] why = ("this daemon runs build " + build + "; start one of build " + hello.build())
                        .getBytes(StandardCharsets.UTF_8);
                frames.frame(DaemonWire.RETIRING, why, 0, why.length);
                return;
            }
            frames.frame(DaemonWire.ACCEPTED, new byte[0], 0, 0);
            PrintStream err = new PrintStream(frames.stream(DaemonWire.STDERR), true, Invocation.charset());
            if (args.isEmpty() || !SERVED.contains(args.get(0))) {
                err.println("larder: the daemon runs only " + String.join(", ", new java.util.TreeSet<>(SERVED))
                        + ", not: " + String.join(" ", args));
                frames.exit(Main.USAGE);
                return;
            }
            Invocation client = new Invocation(in, frames.stream(DaemonWire.STDOUT), err, Map.copyOf(hello.env()),
                    hello.cwd());
            int code;
            try {
                code = Main.run(client, args.toArray(String[]::new));
            } catch (RuntimeException | Error e) {
                err.println("larder: internal error: " + e);
                code = 1;
            }
            err.flush();
            if (clientStores() > 0) {
                hadStores = true;
            }
            frames.exit(code);
        } catch (IOException e) {
            // the client went away: its command has ended with it
            LOG.log(System.Logger.Level.DEBUG, () -> "session ended: " + e);
        } catch (RuntimeException | Error e) {
            log.println("larder daemon: a session failed: " + e);
        } finally {
            uncount();
        }
    }

    /** Ends this thread's session in the count, once (before its connection closes, where it can). */
    private void uncount() {
        if (!COUNTED.get()) {
            return;
        }
        COUNTED.set(false);
        lastEndNanos = System.nanoTime();
        collected = false;
        if (active.decrementAndGet() == 0) {
            synchronized (active) {
                active.notifyAll();
            }
        }
    }

    /** Whether the session thread's session is still counted in {@code active}. */
    private static final ThreadLocal<Boolean> COUNTED = ThreadLocal.withInitial(() -> true);

    /**
     * Runs a few hundred helper sessions on a throwaway store in the daemon's directory, so that
     * the code a session runs is compiled before clients need it (a fresh JVM answers its first
     * sessions several times slower). Best effort, in the background; the store is deleted after.
     */
    private void warmUp() {
        Path store = warmUpStore;
        // The first session puts 40 outputs; every later one gets them (hits) and 40 unknown actions.
        byte[] puts = warmUpRequests(true);
        byte[] gets = warmUpRequests(false);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Map<String, String> env = Map.of("LARDER_PREFETCH", "0");
        try {
            for (int i = 0; i < 200 && !retiring; i++) {
                Invocation session = new Invocation(new ByteArrayInputStream(i == 0 ? puts : gets),
                        OutputStream.nullOutputStream(), quiet, env, dir);
                Main.run(session, "helper", "--dir", store.toString());
            }
        } finally {
            try (Stream<Path> files = Files.walk(store)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "warm-up store: " + e.getMessage());
            }
            LocalStore.sweep(false);
        }
    }

    private static byte[] warmUpRequests(boolean put) {
        StringBuilder in = new StringBuilder();
        String empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; // sha256 of no bytes
        for (int i = 0; i < 80; i++) {
            String action = Base64.getEncoder().encodeToString(ByteBuffer.allocate(32).putInt(i).array());
            in.append("{\"ID\":").append(i + 1).append(",\"Command\":\"");
            if (put && i < 40) {
                in.append("put\",\"ActionID\":\"").append(action).append("\",\"OutputID\":\"").append(empty);
            } else {
                in.append("get\",\"ActionID\":\"").append(action);
            }
            in.append("\"}\n\n");
        }
        in.append("{\"ID\":1000,\"Command\":\"close\"}\n\n");
        return in.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** How many stores the daemon has open for its clients (the warm-up's is not one). */
    private long clientStores() {
        return LocalStore.hosted().stream().filter(p -> !p.equals(warmUpStore)).count();
    }

    /** {@code daemon status} and {@code daemon stop}, asked through the socket. */
    private void control(List<String> args, DaemonWire.FrameWriter frames) throws IOException {
        frames.frame(DaemonWire.ACCEPTED, new byte[0], 0, 0);
        String what = args.size() > 1 ? args.get(1) : "";
        PrintStream out = new PrintStream(frames.stream(DaemonWire.STDOUT), true, Invocation.charset());
        switch (what) {
            case "status" -> {
                out.print(status());
                out.flush();
                frames.exit(0);
            }
            case "stop" -> {
                out.println("larder daemon " + ProcessHandle.current().pid() + ": stopping after "
                        + (active.get() - 1) + " session(s) in flight");
                out.flush();
                frames.exit(0);
                retire("asked to stop");
            }
            default -> {
                out.println("larder daemon: unknown control " + what);
                frames.exit(Main.USAGE);
            }
        }
    }

    private String status() {
        Runtime rt = Runtime.getRuntime();
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-10s%d%n", "pid", ProcessHandle.current().pid()));
        b.append(String.format("%-10s%s (since %s)%n", "uptime",
                DurationText.format(Duration.between(started, Instant.now())), started));
        b.append(String.format("%-10s%d served, %d now%n", "sessions", served.get(), active.get() - 1));
        b.append(String.format("%-10s%s%n", "socket", socket));
        b.append(String.format("%-10s%s%n", "java", java));
        b.append(String.format("%-10s%s%n", "build", build));
        // Collected first, so that what is left is what the daemon keeps (a status is rare).
        System.gc();
        long live = rt.totalMemory() - rt.freeMemory();
        b.append(String.format("%-10s%d bytes live (%s) of %s committed%n", "heap", live, ByteSize.format(live),
                ByteSize.format(rt.totalMemory())));
        List<Path> stores = LocalStore.hosted();
        if (stores.isEmpty()) {
            b.append(String.format("%-10s%s%n", "stores", "none open"));
        }
        for (Path s : stores) {
            b.append(String.format("%-10s%s%n", "store", s));
        }
        return b.toString();
    }

    /** Stops listening (new clients start a new daemon) and exits once the sessions in flight end. */
    void retire(String reason) {
        synchronized (this) {
            if (retiring) {
                return;
            }
            retiring = true;
            retireReason = reason;
        }
        log.println("larder daemon: retiring: " + reason);
        unlinkSocket();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Removes the socket file if it is still this daemon's (a newer daemon may have bound the name). */
    private void unlinkSocket() {
        try {
            Object key = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            if (key != null && key.equals(socketKey)) {
                Files.deleteIfExists(socket);
            }
        } catch (IOException ignored) {
            // gone already
        }
    }

    /**
     * A full collection after which the heap keeps at most 30% free: the serial collector gives
     * the rest back to the system, so an idle daemon stays small. The launcher lets a serving
     * daemon keep 40-70% free (fewer collections), so the ratios are lowered for this one
     * collection and put back after it, in the order that keeps min <= max at every step.
     */
    static void collectSmall() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            String min = vm.getVMOption("MinHeapFreeRatio").getValue();
            String max = vm.getVMOption("MaxHeapFreeRatio").getValue();
            try {
                // Lowered min first, raised max first: no step can fail on min > max, so the
                // original ratios are always put back.
                vm.setVMOption("MinHeapFreeRatio", String.valueOf(Math.min(Integer.parseInt(min), 10)));
                vm.setVMOption("MaxHeapFreeRatio", String.valueOf(Math.min(Integer.parseInt(max), 30)));
                // The serial collector shrinks in steps (ShrinkHeapInSteps: none at the first
                // collection, then 10%, 40%, all of the excess), so four collections give it all
                // back; each takes milliseconds at the live set of an idle daemon.
                for (int i = 0; i < 4; i++) {
                    System.gc();
                }
            } finally {
                vm.setVMOption("MaxHeapFreeRatio", max);
                vm.setVMOption("MinHeapFreeRatio", min);
            }
        } catch (RuntimeException e) {
            // Not a HotSpot JVM with manageable ratios: a plain collection, as before.
            LOG.log(System.Logger.Level.DEBUG, () -> "heap ratios: " + e);
            System.gc();
        }
    }

    private void watch() {
        while (!retiring) {
            try {
                Thread.sleep(CHECK_EVERY.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            LocalStore.sweep(false);
            long open = clientStores();
            boolean idleNow = active.get() == 0;
            if (idleNow && !collected && System.nanoTime() - lastEndNanos > IDLE_GC.toNanos()) {
                collected = true;
                collectSmall();
            }
            if (!socketIsOurs()) {
                retire("its socket " + socket + " was removed");
            } else if (idleNow && System.nanoTime() - lastEndNanos > idle.toNanos()) {
                retire("idle for " + idle.toSeconds() + " s");
            } else if (idleNow && hadStores && open == 0 && System.nanoTime() - lastEndNanos > STORES_GONE_GRACE.toNanos()) {
                retire("every store it served was deleted");
            }
        }
    }

    private boolean socketIsOurs() {
        try {
            Object key = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            return key != null && key.equals(socketKey);
        } catch (IOException e) {
            return false;
        }
    }

    private void awaitSessions() {
        synchronized (active) {
            while (active.get() > 0) {
                try {
                    active.wait(1000);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        LocalStore.sweep(true);
        log.println("larder daemon: exiting after " + served.get() + " sessions (" + retireReason + ")");
        log.flush();
    }
}
