package dev.larder.cli;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * larder's own client of the daemon (the native bridge is the other): finds or starts the daemon
 * for a JVM, and runs a command line in it as a {@link Session}.
 */
final class DaemonClient {
    /** How long a start may take: a JVM start and a socket bind, on a busy machine. */
    static final Duration START_PATIENCE = Duration.ofSeconds(30);

    private DaemonClient() {
    }

    /** Whether a daemon answers on {@code socket}. */
    static boolean alive(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Makes sure a daemon runs on {@code java} in {@code dir}: if none answers, starts one
     * (one client at a time starts it, under a lock; the others wait and find it) and waits for
     * it to listen.
     *
     * @throws IOException saying why none could be started (its log's last line)
     */
    static void ensureRunning(Path dir, String java, Map<String, String> env) throws IOException {
        Path socket = DaemonPaths.socket(dir, java);
        if (alive(socket)) {
            return;
        }
        try (FileChannel lockFile = FileChannel.open(DaemonPaths.lock(dir, java, "start"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            if (alive(socket)) {
                return; // started by the client that held the lock before us
            }
            Path log = DaemonPaths.log(dir, java);
            Process p = spawn(java, env, log);
            long deadline = System.nanoTime() + START_PATIENCE.toNanos();
            long pause = 5;
            while (!alive(socket)) {
                if (!p.isAlive() && !alive(socket)) {
                    throw new IOException("the daemon exited with status " + p.exitValue() + " before it listened"
                            + lastLine(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the daemon did not listen within " + START_PATIENCE.toSeconds() + " s"
                            + lastLine(log));
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the daemon");
                }
                pause = Math.min(100, pause * 2);
            }
        }
    }

    /** Starts {@code larder daemon run} detached: its own session, stdin from /dev/null, output to its log. */
    private static Process spawn(String java, Map<String, String> env, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        // A session of its own: a Ctrl-C that stops the go command (its whole process group)
        // must not take the daemon with it.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        Optional<Path> jar = DaemonPaths.jar();
        Path launcher = jar.map(j -> j.getParent().getParent().getParent().resolve("bin").resolve("larder"))
                .filter(Files::isExecutable).orElse(null);
        if (launcher != null) {
            cmd.add(launcher.toString());
        } else {
            cmd.add(java);
            cmd.addAll(List.of("-XX:+UseSerialGC", "-Xss1m", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    Main.class.getName()));
        }
        cmd.addAll(List.of("daemon", "run"));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().put("LARDER_JAVA", java);
        pb.environment().remove("LARDER_LAUNCH_EPOCH");
        return pb.start();
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "" : "; " + log + ": " + lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A command line running in the daemon: its stdin and stdout as streams, its stderr copied to
     * a stream of the caller's, and its exit status.
     */
    static final class Session implements AutoCloseable {
        private final SocketChannel ch;
        private final OutputStream stdin;
        private final InputStream stdout;
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();

        private Session(SocketChannel ch, DataInputStream frames, PrintStream stderr) throws IOException {
            this.ch = ch;
            this.stdin = DaemonWire.out(ch);
            Pipe pipe = Pipe.open();
            this.stdout = Channels.newInputStream(pipe.source());
            OutputStream sink = Channels.newOutputStream(pipe.sink());
            Thread t = new Thread(() -> demux(frames, sink, stderr), "larder-daemon-client");
            t.setDaemon(true);
            t.start();
        }

        /**
         * Connects to the daemon on {@code socket} and asks it to run {@code args}.
         *
         * @return the session, or empty if the daemon is retiring (start another and try again)
         * @throws IOException if no daemon answers
         */
        static Optional<Session> open(Path socket, DaemonWire.Hello hello, PrintStream stderr) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                DaemonWire.writeHello(DaemonWire.out(ch), hello);
                DataInputStream frames = new DataInputStream(new BufferedInputStream(DaemonWire.in(ch), 64 * 1024));
                DaemonWire.Frame first = DaemonWire.readFrame(frames);
                if (first == null || first.type() == DaemonWire.RETIRING) {
                    ch.close();
                    return Optional.empty();
                }
                if (first.type() != DaemonWire.ACCEPTED) {
                    throw new IOException("the daemon's first frame is " + (char) first.type() + ", want A");
                }
                return Optional.of(new Session(ch, frames, stderr));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        private void demux(DataInputStream frames, OutputStream sink, PrintStream stderr) {
            try (sink) {
                while (true) {
                    DaemonWire.Frame f = DaemonWire.readFrame(frames);
                    if (f == null) {
                        exit.completeExceptionally(new IOException("the larder daemon ended the session early"));
                        return;
                    }
                    switch (f.type()) {
                        case DaemonWire.STDOUT -> sink.write(f.payload());
                        case DaemonWire.STDERR -> {
                            stderr.write(f.payload());
                            stderr.flush();
                        }
                        case DaemonWire.EXIT -> {
                            exit.complete(f.exitCode());
                            return;
                        }
                        default -> throw new IOException("unknown frame type " + f.type());
                    }
                }
            } catch (IOException e) {
                exit.completeExceptionally(e);
            }
        }

        /** The command's stdin; closing it ends the input. */
        OutputStream stdin() {
            return stdin;
        }

        /** The command's stdout. */
        InputStream stdout() {
            return stdout;
        }

        /** Waits for the command's exit status. */
        int waitFor() throws IOException {
            try {
                return exit.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /** The hello for running {@code args} as the current invocation would. */
    static DaemonWire.Hello hello(String java, List<String> args) {
        Invocation inv = Invocation.current();
        String build = DaemonPaths.jar().map(DaemonPaths::buildId).orElse("unknown");
        return new DaemonWire.Hello(DaemonWire.VERSION, build, java, inv.cwd(), args, inv.env());
    }

    /**
     * Runs {@code args} in the running daemon (starting one if {@code start}), with up to three
     * tries across daemons that retire.
     *
     * @return the session, or empty if no daemon could be had
     */
    static Optional<Session> session(List<String> args, boolean start, PrintStream stderr) throws IOException {
        Invocation inv = Invocation.current();
        Path dir = DaemonPaths.ensure(DaemonPaths.dir(inv.env()));
        String java = DaemonPaths.java(inv.env());
        Path socket = DaemonPaths.socket(dir, java);
        for (int i = 0; i < 3; i++) {
            if (start) {
                ensureRunning(dir, java, inv.env());
            } else if (!alive(socket)) {
                return Optional.empty();
            }
            try {
                Optional<Session> s = Session.open(socket, hello(java, args), stderr);
                if (s.isPresent()) {
                    return s;
                }
            } catch (IOException e) {
                if (!start) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
