package dev.larder.cli;

import java.nio.file.DirectoryStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code larder daemon}: the long-lived process that serves helpers and upkeep (see {@link Daemon}). */
@Command(name = "daemon",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "The larder daemon: one long-lived process per user (and JVM) that serves every",
            "'larder helper' session, and stats, trim and verify, so that each go command starts",
            "in milliseconds. Clients start it on demand; it exits after $LARDER_DAEMON_IDLE",
            "seconds without a session (default 1800), or when its stores are deleted.",
        },
        footer = {
            "",
            "Socket directory: $LARDER_DAEMON_DIR, else $XDG_RUNTIME_DIR/larder, else /tmp/larder-UID",
            "(mode 0700). LARDER_BRIDGE=0 runs every command in its own JVM, without the daemon.",
        },
        subcommands = {DaemonCommand.Run.class, DaemonCommand.Start.class, DaemonCommand.Status.class,
            DaemonCommand.Stop.class})
final class DaemonCommand implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: status, stop, start or run");
    }

    /** {@code larder daemon run}: be the daemon, in the foreground. */
    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Be the daemon, in the foreground (what clients start, detached).")
    static final class Run implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            Invocation inv = Invocation.current();
            Path dir = DaemonPaths.ensure(DaemonPaths.dir(inv.env()));
            String java = DaemonPaths.java(inv.env());
            // The launcher runs the daemon from a copy of the jar and names the build it copied.
            String build = Optional.ofNullable(inv.getenv("LARDER_DAEMON_BUILD")).filter(b -> !b.isEmpty())
                    .orElseGet(() -> DaemonPaths.jar().map(DaemonPaths::buildId).orElse("unknown"));
            // Every later System.out/err write goes to the client whose session wrote it.
            java.io.PrintStream log = System.err;
            System.setOut(Invocation.routed(true, log));
            System.setErr(Invocation.routed(false, log));
            Logging.configure(inv.getenv("LARDER_LOG"));
            int code = new Daemon(dir, java, build, Daemon.idle(inv.env()), log).run();
            log.flush();
            // Nothing may keep the process: session threads are done, stores are closed.
            Runtime.getRuntime().halt(code);
            return code;
        }
    }

    /** {@code larder daemon start}: make sure the daemon runs. */
    @Command(name = "start", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Start the daemon if it is not running, and wait until it listens.")
    static final class Start implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            Invocation inv = Invocation.current();
            Path dir = DaemonPaths.ensure(DaemonPaths.dir(inv.env()));
            DaemonClient.ensureRunning(dir, DaemonPaths.java(inv.env()), inv.env());
            return 0;
        }
    }

    /** {@code larder daemon status}: what each daemon of this user is doing. */
    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Show each running daemon: pid, uptime, sessions served, its stores. Exit 3 if none runs.")
    static final class Status implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            return each("status", "larder daemon status");
        }
    }

    /** {@code larder daemon stop}: ask each daemon to retire. */
    @Command(name = "stop", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Stop every daemon of yours: each stops listening at once and exits when its sessions end.")
    static final class Stop implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            int code = each("stop", "larder daemon stop");
            return code == NONE ? 0 : code;
        }
    }

    /** Exit status of status when no daemon runs (as {@code systemctl status} says "not running"). */
    static final int NONE = 3;

    /** Runs the control {@code what} in every live daemon of the user's directory. */
    private static int each(String what, String name) throws IOException {
        Invocation inv = Invocation.current();
        Path dir = DaemonPaths.dir(inv.env());
        List<Path> sockets = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "daemon-*.sock")) {
                ds.forEach(sockets::add);
            }
        }
        sockets.sort(null);
        int live = 0;
        for (Path s : sockets) {
            Optional<DaemonClient.Session> session;
            try {
                session = DaemonClient.Session.open(s, DaemonClient.hello("", List.of("daemon", what)), System.err);
            } catch (IOException e) {
                continue; // left by a daemon that is gone
            }
            if (session.isEmpty()) {
                continue;
            }
            try (DaemonClient.Session x = session.get()) {
                x.stdin().close();
                inv.write(x.stdout().readAllBytes());
                x.waitFor();
                live++;
            }
        }
        if (live == 0) {
            System.err.println(name + ": no daemon running (directory " + dir + ")");
            return NONE;
        }
        return 0;
    }
}
