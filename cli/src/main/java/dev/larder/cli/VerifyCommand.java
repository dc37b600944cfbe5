package dev.larder.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.storage.h2.VerifyResult;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder verify}: re-hashes every blob and reports what is wrong. */
@Command(name = "verify",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Re-hash every blob the index names, and look for files no entry names.",
            "Reports missing, truncated and damaged blobs, orphan blobs and leftover temp",
            "files; with --repair, drops the bad entries and removes those files.",
        },
        footer = {"", "Exit status: 0 if the store is clean (or was repaired); 1 if problems remain",
            "or the store cannot be read; 2 for bad usage."})
final class VerifyCommand implements Callable<Integer> {
    @CommandLine.Mixin
    private DirOptions dir;

    @Option(names = "--repair", description = "Drop bad entries and remove bad, orphan and leftover files.")
    private boolean repair;

    @Option(names = "--json", description = "Print the result as JSON.")
    private boolean json;

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        VerifyResult r = StoreCommands.withStore(dir.resolve(), store -> store.verify(repair));
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (json) {
            ObjectNode o = StoreCommands.JSON.createObjectNode();
            o.put("blobsChecked", r.blobsChecked());
            o.put("bytesChecked", r.bytesChecked());
            o.put("clean", r.clean());
            o.put("repaired", r.repaired());
            ArrayNode ps = o.putArray("problems");
            for (VerifyResult.Problem p : r.problems()) {
                ObjectNode po = ps.addObject();
                po.put("kind", p.kind().name());
                po.put("path", p.path().toString());
                po.put("entries", p.entries());
                po.put("detail", p.detail());
            }
            Invocation.current().print(StoreCommands.JSON.writeValueAsString(o) + System.lineSeparator());
        } else {
            StringBuilder b = new StringBuilder();
            for (VerifyResult.Problem p : r.problems()) {
                b.append(p.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')).append(": ").append(p.path())
                        .append(p.entries() > 0 ? " (" + p.entries() + (p.entries() == 1 ? " entry" : " entries") + ")" : "")
                        .append(": ").append(p.detail()).append(System.lineSeparator());
            }
            b.append(String.format("verified %d blobs (%s) in %.1f s: %s%n", r.blobsChecked(),
                    ByteSize.format(r.bytesChecked()), seconds,
                    r.clean() ? "clean" : r.problems().size() + (r.problems().size() == 1 ? " problem" : " problems")
                            + (r.repaired() ? ", repaired" : "; larder verify --repair drops them")));
            Invocation.current().print(b.toString());
        }
        return r.clean() || r.repaired() ? 0 : 1;
    }
}
