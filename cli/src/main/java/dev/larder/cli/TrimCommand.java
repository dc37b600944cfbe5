package dev.larder.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.storage.h2.TrimSettings;
import dev.larder.storage.h2.TrimResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder trim}: removes least-recently-used entries down to a budget. */
@Command(name = "trim",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Remove the blobs no entry has named for an hour (outputs a put replaced), then",
            "least-recently-used entries until the store fits a size budget and/or no entry",
            "is older than a maximum age. Entries used within the last hour are never",
            "removed (their files may still be being read); a blob goes only when no entry",
            "names it. Safe while helpers use the store.",
        },
        footer = {
            "",
            "Defaults: $LARDER_MAX_SIZE and $LARDER_MAX_AGE. Sizes: 5GiB, 512MiB, 1000.",
            "Ages: 30d, 12h, 90m, 2w. Exit status: 0 when done; 1 if the store cannot be",
            "trimmed; 2 for bad usage.",
        })
final class TrimCommand implements Callable<Integer> {
    @CommandLine.Mixin
    private DirOptions dir;

    @CommandLine.Mixin
    private TrimOptions budget;

    @Option(names = "--dry-run", description = "Only report what would be removed.")
    private boolean dryRun;

    @Option(names = "--json", description = "Print the result as JSON.")
    private boolean json;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Optional<TrimSettings> policy = budget.settings(dryRun, Invocation.current().env());
        if (policy.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "nothing to trim to: give --max-size or --max-age (or set LARDER_MAX_SIZE or LARDER_MAX_AGE)");
        }
        Path root = dir.resolve();
        TrimSettings p = policy.get();
        TrimResult r = StoreCommands.withStore(root, store -> store.trim(p));
        Invocation.current().print((json ? StoreCommands.JSON.writeValueAsString(toJson(r)) : describe(r, p, root))
                + System.lineSeparator());
        return 0;
    }

    static String describe(TrimResult r, TrimSettings p, Path root) {
        StringBuilder b = new StringBuilder("larder trim: " + root + "\n");
        b.append(r.dryRun() ? "would remove " : "removed ").append(r.entriesRemoved())
                .append(r.entriesRemoved() == 1 ? " entry" : " entries").append(" and ").append(r.blobsRemoved())
                .append(r.blobsRemoved() == 1 ? " blob" : " blobs").append(" (").append(ByteSize.format(r.bytesRemoved()))
                .append("); ").append(r.dryRun() ? "would leave " : "left ").append(r.entriesLeft()).append(" entries, ")
                .append(ByteSize.format(r.bytesLeft()));
        p.maxBytes().ifPresent(max -> b.append(" (budget ").append(ByteSize.format(max)).append(")"));
        if (!r.withinBudget()) {
            b.append("\nstill over budget: the rest was used within the last hour, and is kept");
        }
        return b.toString();
    }

    static ObjectNode toJson(TrimResult r) {
        ObjectNode o = StoreCommands.JSON.createObjectNode();
        o.put("at", r.at().toString());
        o.put("dryRun", r.dryRun());
        o.put("entriesRemoved", r.entriesRemoved());
        o.put("blobsRemoved", r.blobsRemoved());
        o.put("bytesRemoved", r.bytesRemoved());
        o.put("entriesLeft", r.entriesLeft());
        o.put("bytesLeft", r.bytesLeft());
        o.put("withinBudget", r.withinBudget());
        return o;
    }
}
