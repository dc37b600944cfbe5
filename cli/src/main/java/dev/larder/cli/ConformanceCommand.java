package dev.larder.cli;

import dev.larder.conformance.Check;
import dev.larder.conformance.ConformanceKit;
import dev.larder.conformance.JUnitXmlReport;
import dev.larder.conformance.JsonReport;
import dev.larder.conformance.Report;
import dev.larder.conformance.Settings;
import dev.larder.conformance.TextReport;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code larder conformance}: checks any GOCACHEPROG helper against the protocol. */
@Command(name = "conformance",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        customSynopsis = "larder conformance [OPTIONS] -- CMD [ARGS...]",
        description = {
            "Check a GOCACHEPROG helper program, in any language, against the protocol",
            "cmd/go speaks: numbered MUST and SHOULD requirements, each with Expected and",
            "Actual when it fails. Each check starts the helper afresh; waits are bounded.",
            "",
            "  larder conformance -- larder helper --dir /tmp/store",
            "  larder conformance --only 4. --timeout 30 -- ./my-helper -v",
        },
        footer = {
            "",
            "The helper's store is shared by all checks; give it a scratch directory.",
            "Exit status: 0 if every MUST check passed (and every SHOULD, with --strict);",
            "1 if one failed; 2 for bad usage.",
        })
final class ConformanceCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CMD", arity = "0..*",
            description = "The helper command and its arguments, after --, as it would go in GOCACHEPROG.")
    private List<String> command = new ArrayList<>();

    @Option(names = "--strict", description = "Fail (exit 1) on SHOULD failures too.")
    private boolean strict;

    @Option(names = "--only", paramLabel = "PREFIX", split = ",",
            description = "Run only checks whose id starts with PREFIX (e.g. 4. or 4.2/1); repeatable.")
    private List<String> only = new ArrayList<>();

    @Option(names = "--dry-run", description = "List the checks that would run, with their requirements; start nothing.")
    private boolean dryRun;

    @Option(names = "--junit-xml", paramLabel = "FILE", description = "Also write the report as JUnit XML to FILE.")
    private Path junitXml;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
    private Path json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Longest wait for any one reply, exit or end of output (default: ${DEFAULT-VALUE}).")
    private double timeoutSeconds;

    @Option(names = "--large-body", paramLabel = "SIZE", defaultValue = "64MiB",
            description = "Body size of the large-put check, e.g. 64MiB, 512KiB, 1000 (default: ${DEFAULT-VALUE}).")
    private String largeBody;

    @Option(names = "--persistent",
            description = "The helper's store outlives it: also check that puts are hits after a restart.")
    private boolean persistent;

    @Option(names = {"-v", "--verbose"}, description = "Print every check's requirement, not only the failed ones'.")
    private boolean verbose;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (command.isEmpty() && !dryRun) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "no helper command: put it after --, e.g. larder conformance -- larder helper --dir /tmp/x");
        }
        if (!(timeoutSeconds > 0) || timeoutSeconds > 3600) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--timeout must be between 0 and 3600 seconds, got " + timeoutSeconds);
        }
        long large = parseSize(largeBody);
        Settings settings = new Settings(command.isEmpty() ? List.of("(none)") : command,
                Duration.ofMillis(Math.round(timeoutSeconds * 1000)), large, persistent, only);
        PrintWriter out = stdout();
        if (ConformanceKit.selected(settings).isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--only " + String.join(",", only) + " selects no check; ids look like 4.2/1");
        }
        if (dryRun) {
            for (Check c : ConformanceKit.selected(settings)) {
                out.println(c.id() + " [" + c.level() + "] " + c.title());
                out.println("      " + c.requirement());
            }
            flush(out);
            return 0;
        }
        boolean interactive = System.console() != null;
        Report report = ConformanceKit.run(settings, c -> {
            if (interactive) {
                System.err.print("\r\033[Kchecking " + c.id() + " " + c.title());
                System.err.flush();
            }
        });
        if (interactive) {
            System.err.print("\r\033[K");
            System.err.flush();
        }
        TextReport.of(canPrint(out), verbose).write(report, out);
        flush(out);
        if (junitXml != null) {
            JUnitXmlReport.write(report, junitXml);
        }
        if (json != null) {
            JsonReport.write(report, json);
        }
        return report.conforms(strict) ? 0 : 1;
    }

    private long parseSize(String text) {
        long n = ByteSize.parse(text, "--large-body");
        if (n < 1 || n > 1L << 40) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--large-body must be between 1 byte and 1 TiB, got " + text);
        }
        return n;
    }

    /**
     * Flushes the report to stdout.
     *
     * @throws IOException if it could not be written (a {@code PrintWriter} only remembers that)
     */
    private static void flush(PrintWriter out) throws IOException {
        if (out.checkError()) {
            throw new IOException("cannot write stdout");
        }
    }

    /** stdout in the terminal's encoding (UTF-8 unless the locale says otherwise). */
    private static PrintWriter stdout() {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), outputCharset()), false);
    }

    private static Charset outputCharset() {
        String name = System.getProperty("sun.stdout.encoding", System.getProperty("native.encoding"));
        try {
            Charset cs = name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
            return cs.name().equals("US-ASCII") ? StandardCharsets.UTF_8 : cs;
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    private static boolean canPrint(PrintWriter out) {
        return outputCharset().newEncoder().canEncode("✔×–");
    }
}
