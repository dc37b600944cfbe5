package dev.larder.cli;

import dev.larder.helper.CacheHelper;
import dev.larder.helper.HelperOptions;
import dev.larder.protocol.ProtocolException;
import dev.larder.storage.h2.H2Storage;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder helper}: serves cmd/go's GOCACHEPROG protocol on stdin and stdout. */
@Command(name = "helper",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Serve the go command's GOCACHEPROG protocol on stdin/stdout from the local store.",
            "",
            "The go command starts it itself:  GOCACHEPROG=\"larder helper\" go build ./...",
            "stdout carries protocol lines only; logs go to stderr (LARDER_LOG=debug for more).",
        },
        footer = {
            "",
            "Store: the first set of --dir, $LARDER_DIR, $XDG_CACHE_HOME/larder,",
            "else ~/.cache/larder.",
            "Exit status: 0 after close or end of input; 1 if the input could not be",
            "framed or the store failed; 2 for bad usage.",
        })
final class HelperCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Store directory (default: $LARDER_DIR, $XDG_CACHE_HOME/larder, ~/.cache/larder).")
    private Path dir;

    @Option(names = "--read-only",
            description = "Serve gets only: put is left out of KnownCommands and refused.")
    private boolean readOnly;

    @Option(names = "--stats-json", paramLabel = "FILE",
            description = "On exit, write the session's counters (gets, hits, misses, puts, putBytes, errors, ...) "
                    + "to FILE as JSON.")
    private Path statsJson;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "8",
            description = "Requests served at once (default: ${DEFAULT-VALUE}).")
    private int workers;

    @Override
    public Integer call() {
        // stdout belongs to the protocol writer alone: anything else that prints goes to stderr.
        OutputStream protocolOut = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
        System.setOut(System.err);
        if (workers < 1) {
            System.err.println("larder helper: --workers must be at least 1, got " + workers);
            return Main.USAGE;
        }
        Path store = StoreLocation.resolve(dir);
        HelperOptions options = new HelperOptions(readOnly, Optional.ofNullable(statsJson), workers,
                Optional.of(Main.launchedAt()));
        CacheHelper helper = CacheHelper.create(() -> H2Storage.open(store), options);
        try {
            helper.serve(new FileInputStream(FileDescriptor.in), protocolOut);
            return 0;
        } catch (ProtocolException e) {
            System.err.println("larder helper: bad input: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            System.err.println("larder helper: " + e.getMessage());
            return 1;
        }
    }
}
