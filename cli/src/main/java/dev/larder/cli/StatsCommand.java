package dev.larder.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.storage.h2.StoreStats;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder stats}: what the store holds and how well it serves. */
@Command(name = "stats",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Show the store's entries and bytes (and the blobs no entry names, which trim",
            "removes after an hour), the hit rate over the most recent sessions, the largest",
            "entries and the last trim.",
        },
        footer = {"", "Exit status: 0; 1 if there is no store or it cannot be read; 2 for bad usage."})
final class StatsCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    @CommandLine.Mixin
    private DirOptions dir;

    @Option(names = "--json", description = "Print the stats as JSON.")
    private boolean json;

    @Option(names = "--largest", paramLabel = "N", defaultValue = "5",
            description = "How many of the largest entries to list (default: ${DEFAULT-VALUE}).")
    private int largest;

    @Override
    public Integer call() throws IOException {
        Path root = dir.resolve();
        StoreStats s = StoreCommands.withStore(root, store -> store.stats(Math.max(0, largest)));
        if (json) {
            Invocation.current().print(StoreCommands.JSON.writeValueAsString(toJson(s, root)) + System.lineSeparator());
            return 0;
        }
        Instant now = Instant.now();
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-11s%s%n", "store", root));
        b.append(String.format("%-11s%d (%d distinct outputs, %s)%n", "entries", s.entries(), s.blobs(),
                ByteSize.format(s.bytes())));
        b.append(String.format("%-11s%d blobs (%s): replaced outputs and lone uploads, removed by trim after an hour%n", "unnamed",
                s.unnamed(), ByteSize.format(s.unnamedBytes())));
        StoreStats.Sessions r = s.recent();
        if (r.sessions() == 0) {
            b.append(String.format("%-11s%s%n", "sessions", "none recorded yet"));
        } else {
            b.append(String.format("%-11slast %d: %d gets, %s hits, %d puts (%s), %d errors, since %s%n", "sessions",
                    r.sessions(), r.gets(), r.hitRate().map(h -> String.format(Locale.ROOT, "%.1f%%", 100 * h)).orElse("no"),
                    r.puts(), ByteSize.format(r.putBytes()), r.errors(), WHEN.format(r.since().orElseThrow())));
        }
        b.append(String.format("%-11s%s%n", "last trim", s.lastTrim()
                .map(t -> WHEN.format(t.at()) + ": removed " + t.entriesRemoved() + " entries ("
                        + ByteSize.format(t.bytesRemoved()) + "), " + ByteSize.format(t.bytesLeft()) + " left")
                .orElse("never")));
        b.append(String.format("%-11s%d%n", "temp files", s.tempFiles()));
        if (!s.largest().isEmpty()) {
            b.append("largest\n");
            for (StoreStats.Large l : s.largest()) {
                b.append(String.format("  %9s  action %s  output %s  used %s ago%n", ByteSize.format(l.size()),
                        l.action().toString().substring(0, 12), l.output().toString().substring(0, 12),
                        DurationText.format(Duration.between(l.lastUse(), now))));
            }
        }
        Invocation.current().print(b.toString());
        return 0;
    }

    private static ObjectNode toJson(StoreStats s, Path root) {
        ObjectNode o = StoreCommands.JSON.createObjectNode();
        o.put("store", root.toString());
        o.put("entries", s.entries());
        o.put("blobs", s.blobs());
        o.put("bytes", s.bytes());
        o.put("unnamedBlobs", s.unnamed());
        o.put("unnamedBytes", s.unnamedBytes());
        o.put("totalBytes", s.totalBytes());
        o.put("tempFiles", s.tempFiles());
        ObjectNode r = o.putObject("recentSessions");
        StoreStats.Sessions rs = s.recent();
        r.put("sessions", rs.sessions());
        rs.since().ifPresent(t -> r.put("since", t.toString()));
        r.put("gets", rs.gets());
        r.put("hits", rs.hits());
        r.put("misses", rs.misses());
        rs.hitRate().ifPresent(h -> r.put("hitRate", h));
        r.put("puts", rs.puts());
        r.put("putBytes", rs.putBytes());
        r.put("errors", rs.errors());
        ArrayNode large = o.putArray("largest");
        for (StoreStats.Large l : s.largest()) {
            ObjectNode e = large.addObject();
            e.put("action", l.action().toString());
            e.put("output", l.output().toString());
            e.put("size", l.size());
            e.put("lastUse", l.lastUse().toString());
        }
        s.lastTrim().ifPresent(t -> o.set("lastTrim", TrimCommand.toJson(t)));
        return o;
    }
}
