package dev.larder.cli;

import java.time.Instant;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code larder} command line; the only place that picks exit codes. */
@Command(name = "larder",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "A build-action cache for Linux: a GOCACHEPROG helper for the go command.",
            "",
            "Use it with Go:  GOCACHEPROG=\"larder helper\" go build ./...",
        },
        subcommands = {HelperCommand.class, RunCommand.class, ConformanceCommand.class, StatsCommand.class, TrimCommand.class,
            VerifyCommand.class, ServeCommand.class, DaemonCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad usage, as picocli reports it. */
    static final int USAGE = 2;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private static volatile Instant mainStarted = Instant.now();

    public static void main(String[] args) {
        mainStarted = Instant.now();
        System.exit(run(args));
    }

    /**
     * When this larder was launched: {@code bin/larder} exports {@code LARDER_LAUNCH_EPOCH}
     * (seconds since the epoch, bash's {@code $EPOCHREALTIME}) before it starts the JVM; without
     * it, when {@code main} began (which leaves out the JVM's own start-up).
     */
    static Instant launchedAt() {
        String epoch = Invocation.current().getenv("LARDER_LAUNCH_EPOCH");
        if (epoch != null) {
            try {
                java.math.BigDecimal micros = new java.math.BigDecimal(epoch.trim()).movePointRight(6);
                return Instant.EPOCH.plus(micros.longValueExact(), java.time.temporal.ChronoUnit.MICROS);
            } catch (NumberFormatException | ArithmeticException e) {
                // not ours, or garbled: fall back
            }
        }
        return mainStarted;
    }

    /** Runs the command line and returns its exit status. */
    public static int run(String... args) {
        Logging.configure(System.getenv("LARDER_LOG"));
        return commandLine().execute(args);
    }

    /**
     * Runs a command line on behalf of a daemon client: its streams, environment and working
     * directory are {@code client}'s (relative paths in options resolve against its directory),
     * and its exit status is returned, never exited with.
     */
    static int run(Invocation client, String... args) {
        return client.bound(() -> {
            // Only the command asked for is modelled (picocli reflects over every option of every
            // command it is given: milliseconds a session would wait before its handshake).
            CommandLine cl = new CommandLine(CommandLine.Model.CommandSpec.create().name("larder"))
                    .setCaseInsensitiveEnumValuesAllowed(true);
            Object command = served(args.length == 0 ? "" : args[0]);
            if (command != null) {
                cl.addSubcommand(command);
            }
            cl.registerConverter(java.nio.file.Path.class, s -> client.resolve(java.nio.file.Path.of(s)));
            return cl.execute(args);
        });
    }

    /** A fresh instance of the command a daemon client may run, or null. */
    private static Object served(String name) {
        return switch (name) {
            case "helper" -> new HelperCommand();
            case "stats" -> new StatsCommand();
            case "trim" -> new TrimCommand();
            case "verify" -> new VerifyCommand();
            default -> null;
        };
    }

    private static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        // picocli prints the message and the usage to stderr, and exits with USAGE.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try 'larder helper'");
    }
}
