package dev.larder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.larder.helper.CacheHelper;
import dev.larder.helper.HelperSettings;
import dev.larder.protocol.ProtocolClient;
import dev.larder.tracer.RunCache;
import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code larder run}: runs a command, or replays its recorded outputs if its inputs are unchanged. */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        customSynopsis = "larder run [OPTIONS] -- CMD [ARGS...]",
        exitCodeOnExecutionException = RunCommand.FAILED,
        description = {
            "Run CMD traced with ptrace, learning what it reads (files, stats, directory listings,",
            "missing files, the executable, argv, environment, cwd) and what it does (files written,",
            "deleted, renamed, stdout, stderr, exit code). Next time, if everything it read is",
            "unchanged, CMD is not run: its outputs are replayed. Content decides, not timestamps.",
            "",
            "  larder run -- make -j2",
            "  larder run --explain -- sh -c 'cc -c a.c && cc -o a a.o'",
        },
        footer = {
            "",
            "The cache is the local store (as for larder helper: --dir, $LARDER_DIR, --store tiers),",
            "or any GOCACHEPROG program with --helper. Not cached (run, nothing recorded): runs that",
            "use the network, open a terminal, read a non-file stdin, signal outside their tree,",
            "or die by a signal. A replay changes files only under the working directory and the",
            "--allow-write roots; a record that would change anything else is not replayed (the",
            "command runs; --explain says which path and why). SIGINT, SIGTERM and SIGHUP sent to",
            "larder are passed to CMD (a terminal's Ctrl-C has reached it already) and larder waits",
            "for it; an interrupted run is not recorded. The run ends when CMD itself exits: processes",
            "it left running go on untraced, and such a run is not recorded. Exit status: CMD's",
            "(128+N if killed by signal N); 125 if larder itself failed; 2 for bad usage.",
        })
final class RunCommand implements Callable<Integer> {
    /** Exit status when larder itself fails (as env(1) and nice(1) use it). */
    static final int FAILED = 125;
    /** The launcher's own variable, which changes at every start: neither passed on nor keyed. */
    private static final String LAUNCH_EPOCH = "LARDER_LAUNCH_EPOCH";
    /**
     * Where a replay may write, besides --allow-write: larder's setting, not the command's input,
     * so it is neither keyed (a CI job setting it still hits what a laptop recorded) nor passed on.
     */
    private static final String ALLOW_WRITE = "LARDER_ALLOW_WRITE";
    /** More variables to leave out of the key, besides --env-ignore: larder's setting, as ALLOW_WRITE. */
    private static final String ENV_IGNORE = "LARDER_ENV_IGNORE";

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "The command and its arguments, after --.")
    private List<String> command = new ArrayList<>();

    @CommandLine.Mixin
    private DirOptions dir;

    @Option(names = "--helper", paramLabel = "CMD",
            description = "Use this GOCACHEPROG program as the cache instead of the local store, "
                    + "e.g. --helper \"larder helper --store http://cache:8080\".")
    private String helperCommand;

    @Option(names = "--explain", arity = "0..1", fallbackValue = "closest", paramLabel = "all",
            description = "Say on stderr why the run hit, missed (what no longer holds in the closest recording, or what "
                    + "differs from the last run of the command here) or could not be cached. --explain=all also gives a "
                    + "line for each recording.")
    private String explain;

    @Option(names = "--allow-write", paramLabel = "DIR",
            description = "Also let a replay change files under DIR (repeatable; besides the working directory, "
                    + "always allowed). $LARDER_ALLOW_WRITE adds a colon-separated list. --explain names the paths "
                    + "a recorded run wrote outside the working directory.")
    private List<Path> allowWrite = new ArrayList<>();

    @Option(names = "--env-ignore", paramLabel = "NAME",
            description = "Leave environment variable NAME out of the run's key (repeatable): runs that differ only "
                    + "in it hit. The command still gets it. $LARDER_ENV_IGNORE adds a colon-separated list. Never "
                    + "keyed: OLDPWD, SHLVL, _ and the jobserver options of MAKEFLAGS and MFLAGS.")
    private List<String> envIgnore = new ArrayList<>();

    @Option(names = "--nested", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "When the whole run misses, make each execution inside it a cache unit of its own: one "
                    + "whose inputs still hold is skipped, its outputs replayed (default: on; --no-nested: whole runs only).")
    private boolean nested;

    @Option(names = "--stats-json", paramLabel = "FILE",
            description = "Write the run's counters (executions, skipped, hits, misses, uncacheable, tracedSyscalls, "
                    + "...) to FILE as JSON.")
    private Path statsJson;

    @Option(names = "--trace-all-syscalls", hidden = true,
            description = "Stop at every syscall instead of installing the seccomp filter (slower; for diagnosis).")
    private boolean traceAll;

    @CommandLine.Mixin
    private StoreOptions stores;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        RunCache.Explain explained = explainLevel();
        if (command.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "no command: put it after --, e.g. larder run -- make -j2");
        }
        List<String> helperArgs;
        try {
            helperArgs = helperCommand == null ? List.of() : split(helperCommand);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--helper: " + e.getMessage());
        }
        if (helperCommand != null && helperArgs.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--helper needs a command");
        }
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove(LAUNCH_EPOCH);
        env.remove(RunCache.CALLER_FDS);
        String allowWriteList = env.remove(ALLOW_WRITE);
        Set<String> ignored = ignoredVariables(env.remove(ENV_IGNORE));
        Path store = dir.resolve();
        ProtocolClient client;
        Thread served = null;
        DaemonClient.Session daemon = null;
        // Checked here, whoever serves them: a bad value is a usage error of this command.
        StoreOptions.Resolved tiers = helperCommand == null ? stores.resolve(System.getenv()) : null;
        try {
            if (helperCommand == null) {
                daemon = daemonHelper(store);
            }
            if (helperCommand != null) {
                client = ProtocolClient.start(helperArgs, Duration.ofSeconds(60));
            } else if (daemon != null) {
                client = ProtocolClient.connect(daemon.stdout(), daemon.stdin(), Duration.ofSeconds(60));
            } else {
                Pipe toHelper = Pipe.open();
                Pipe fromHelper = Pipe.open();
                CacheHelper helper = CacheHelper.create(() -> tiers.open(store),
                        new HelperSettings(!tiers.writable(), Optional.empty(), 8, Optional.empty()));
                InputStream helperIn = Channels.newInputStream(toHelper.source());
                OutputStream helperOut = Channels.newOutputStream(fromHelper.sink());
                served = new Thread(() -> serve(helper, helperIn, helperOut), "larder-run-helper");
                served.setDaemon(true);
                served.start();
                client = ProtocolClient.connect(Channels.newInputStream(fromHelper.source()),
                        Channels.newOutputStream(toHelper.sink()), Duration.ofSeconds(60));
            }
        } catch (IOException e) {
            // A cache that cannot start never fails the command: it runs, uncached.
            System.err.println("larder run: warning: cannot start the cache (" + e.getMessage()
                    + "); running the command without it");
            return runUncached(env);
        }
        Path tracerDir = store.resolve("tracer");
        RunCache.Settings settings = new RunCache.Settings(Optional.of(tracerDir.resolve("hashes")), explained,
                System.err, !traceAll, allowedRoots(allowWriteList), ignored, Optional.of(tracerDir.resolve("identities")),
                nested);
        RunCache.Result result;
        try {
            result = RunCache.run(command, env, client, settings);
        } catch (RunCache.NotStarted e) {
            // Told on stderr already; the command runs as it would without larder.
            client.abort();
            awaitHelper(served, Duration.ofSeconds(10));
            return runUncached(env);
        } catch (IOException e) {
            client.abort();
            awaitHelper(served, Duration.ofSeconds(10));
            throw e;
        }
        try {
            client.close();
        } catch (IOException e) {
            System.err.println("larder run: warning: closing the cache: " + e.getMessage());
        }
        awaitHelper(served, Duration.ofSeconds(60));
        if (daemon != null) {
            try (DaemonClient.Session d = daemon) {
                int code = d.waitFor();
                if (code != 0) {
                    System.err.println("larder run: warning: the daemon's helper exited with status " + code);
                }
            } catch (IOException e) {
                System.err.println("larder run: warning: the daemon's helper: " + e.getMessage());
            }
        }
        if (statsJson != null) {
            writeStats(result.stats());
        }
        return result.exitCode();
    }

    /**
     * A helper session in the user's daemon (started if none runs) on the same store and tiers
     * as the in-process helper would use, so that no store is opened per run; null when the
     * daemon is turned off ({@code LARDER_BRIDGE=0}) or cannot be had (then the helper runs in
     * this process, as before).
     */
    private DaemonClient.Session daemonHelper(Path store) {
        if ("0".equals(Invocation.current().getenv("LARDER_BRIDGE"))) {
            return null;
        }
        List<String> args = new ArrayList<>(List.of("helper", "--dir", store.toString()));
        args.addAll(stores.asArgs());
        try {
            return DaemonClient.session(args, true, System.err).orElse(null);
        } catch (IOException | RuntimeException e) {
            System.err.println("larder run: note: no daemon (" + e.getMessage() + "); serving the cache in this process");
            return null;
        }
    }

    /** The --allow-write roots, then those of {@code envList} (colon-separated; empty entries skipped). */
    private List<Path> allowedRoots(String envList) {
        List<Path> roots = new ArrayList<>(allowWrite);
        if (envList != null) {
            for (String d : envList.split(":")) {
                if (!d.isEmpty()) {
                    roots.add(Path.of(d));
                }
            }
        }
        return roots;
    }

    /**
     * Waits (at most {@code limit}) for the in-process helper to end, so that its store is closed
     * before larder exits: nothing may write to the store after the command's status is given.
     */
    private static void awaitHelper(Thread served, Duration limit) {
        if (served == null) {
            return;
        }
        try {
            served.join(limit.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What --explain asked for: nothing, the reason (--explain), or a line per recording as well (--explain=all). */
    private RunCache.Explain explainLevel() {
        if (explain == null) {
            return RunCache.Explain.OFF;
        }
        switch (explain) {
            case "closest":
                return RunCache.Explain.CLOSEST;
            case "all":
                return RunCache.Explain.ALL;
            default:
                throw new CommandLine.ParameterException(spec.commandLine(), "--explain: got '" + explain
                        + "', want --explain or --explain=all (and the command after --)");
        }
    }

    /** The --env-ignore names, then those of {@code envList} (colon-separated; empty entries skipped). */
    private Set<String> ignoredVariables(String envList) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : envIgnore) {
            if (name.isEmpty() || name.contains("=")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--env-ignore: got '" + name + "', want a variable name (no '=')");
            }
            names.add(name);
        }
        if (envList != null) {
            for (String name : envList.split(":")) {
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private int runUncached(Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            return pb.start().waitFor();
        } catch (IOException e) {
            System.err.println("larder run: " + e.getMessage());
            return 127;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FAILED;
        }
    }

    private static void serve(CacheHelper helper, InputStream in, OutputStream out) {
        try {
            helper.serve(in, out);
        } catch (IOException e) {
            System.err.println("larder run: the in-process helper failed: " + e.getMessage());
        }
    }

    private void writeStats(RunStats stats) {
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(statsJson.toFile(), stats);
        } catch (IOException e) {
            System.err.println("larder run: warning: cannot write " + statsJson + ": " + e.getMessage());
        }
    }

    /** Splits a command line on blanks, with '…' and "…" quoting, as cmd/go splits GOCACHEPROG. */
    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unterminated quote in: " + line);
        }
        if (inWord) {
            words.add(w.toString());
        }
        return words;
    }
}
