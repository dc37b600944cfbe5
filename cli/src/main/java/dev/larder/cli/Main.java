package dev.larder.cli;

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
        subcommands = {HelperCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad usage, as picocli reports it. */
    static final int USAGE = 2;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status. */
    public static int run(String... args) {
        Logging.configure(System.getenv("LARDER_LOG"));
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }
}
