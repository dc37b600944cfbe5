package dev.larder.cli;

import dev.larder.protocol.ProtocolException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.time.Instant;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code larder} command line; the only place that picks exit codes and words failures.
 * Commands throw; its exception handlers, which also serve the daemon's sessions, turn what they
 * threw into one message on stderr and an exit status, never a stack trace ({@code LARDER_LOG=debug}
 * adds it):
 * <ul>
 * <li>a usage error (picocli's {@code ParameterException}, or an {@code IllegalArgumentException}
 *     from an option's value): the message and the command's usage, exit {@link #USAGE};
 * <li>an {@code IOException}: {@code larder CMD: message}, exit 1 (the command's
 *     {@code exitCodeOnExecutionException}: 125 for {@code larder run});
 * <li>anything else: {@code larder CMD: internal error: ...}, with the same exit status.
 * </ul>
 * Who words what: the layer that throws words its failure, with what it was doing (storage:
 * {@code cannot create store directory DIR: DIR/blobs: permission denied}; the helper, the
 * tracer, and the cli's own commands alike), and these handlers print that message as it is.
 * They add words only where the JDK left them out: a java.nio file exception without a reason
 * (it names only the file) reads {@code FILE: no such file or directory}, in the words storage
 * gives the same exceptions, and an exception without a message is named by its type.
 */
@Command(name = "larder",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "A build-action cache for Linux: a GOCACHEPROG helper for the go command.",
            "",
            "Use it with Go:  GOCACHEPROG=\"larder helper\" go build ./...",
        },
        subcommands = {HelperCommand.class, RunCommand.class, KeygenCommand.class, ConformanceCommand.class, StatsCommand.class, TrimCommand.class,
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
            try (Logging.Session logging = Logging.session(client.getenv("LARDER_LOG"))) {
                return execute(client, args);
            }
        });
    }

    /** Runs a daemon client's command line, on its thread. */
    private static int execute(Invocation client, String... args) {
        // Only the command asked for is modelled (picocli reflects over every option of every
        // command it is given: milliseconds a session would wait before its handshake).
        CommandLine cl = handled(new CommandLine(CommandLine.Model.CommandSpec.create().name("larder")));
        Object command = served(args.length == 0 ? "" : args[0]);
        if (command != null) {
            cl.addSubcommand(command);
        }
        cl.registerConverter(java.nio.file.Path.class, s -> client.resolve(java.nio.file.Path.of(s)));
        return cl.execute(args);
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
        return handled(new CommandLine(new Main()));
    }

    /** {@code cl} with larder's settings and its one way of reporting errors. */
    private static CommandLine handled(CommandLine cl) {
        return cl.setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(Main::badUsage)
                .setExecutionExceptionHandler(Main::failed);
    }

    /** A usage error: its message, then a suggestion or the command's usage, on stderr; exit {@link #USAGE}. */
    private static int badUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText(e.getMessage()));
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            cmd.usage(err, cmd.getColorScheme());
        }
        debugTrace(e, err);
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * What a command threw, as one line on stderr: a bad option value is a usage error (commands
     * check their options' values before they open or start anything), an I/O error says
     * {@code larder CMD: message}; the exit status is the command's for a failure (1 unless its
     * {@code @Command} says otherwise).
     */
    private static int failed(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof IllegalArgumentException) {
            return badUsage(new CommandLine.ParameterException(cmd, message(e), e), null);
        }
        String what;
        if (e instanceof ProtocolException) {
            what = "bad input: " + message(e);
        } else if (e instanceof IOException) {
            what = message(e);
        } else if (e instanceof UncheckedIOException u) {
            what = message(u.getCause());
        } else {
            what = "internal error: " + e + " (LARDER_LOG=debug shows where)";
        }
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + what);
        debugTrace(e, err);
        err.flush();
        return cmd.getCommandSpec().exitCodeOnExecutionException();
    }

    /**
     * {@code e}'s message, said in full: the last-resort wording for what reaches the cli unworded.
     * java.nio's file exceptions name only the file when the operating system gave no reason
     * ({@code NoSuchFileException: /x}): they read {@code /x: no such file or directory}, the words
     * storage's {@code BlobFiles} uses for the same exceptions; an exception without a message
     * ({@code ClosedChannelException}) is named by its type. Any other message is left as it is.
     */
    static String message(Exception e) {
        if (e instanceof FileSystemException f && f.getReason() == null) {
            String why = e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof DirectoryNotEmptyException ? "directory not empty"
                    : e.getClass().getSimpleName();
            return e.getMessage() + ": " + why;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Prints {@code e}'s stack trace when the invocation asked for debug logs ({@code LARDER_LOG=debug} or trace). */
    private static void debugTrace(Exception e, PrintWriter err) {
        String level = Invocation.current().getenv("LARDER_LOG");
        if (level != null && switch (level.trim().toLowerCase(Locale.ROOT)) {
            case "debug", "trace" -> true;
            default -> false;
        }) {
            e.printStackTrace(err);
        }
    }

    @Override
    public void run() {
        // picocli prints the message and the usage to stderr, and exits with USAGE.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try 'larder helper'");
    }
}
