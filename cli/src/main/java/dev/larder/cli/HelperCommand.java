package dev.larder.cli;

import dev.larder.helper.CacheHelper;
import dev.larder.helper.HelperSettings;
import dev.larder.storage.h2.LocalStore;
import dev.larder.storage.h2.TrimSettings;
import dev.larder.storage.h2.TrimResult;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder helper}: serves cmd/go's GOCACHEPROG protocol on stdin and stdout. */
@Command(name = "helper",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Serve the go command's GOCACHEPROG protocol on stdin/stdout from the local store,",
            "or from tiers of stores (--store): local, remote HTTP caches, plugins'.",
            "",
            "The go command starts it itself:  GOCACHEPROG=\"larder helper\" go build ./...",
            "stdout carries protocol lines only; logs go to stderr (LARDER_LOG=debug for more).",
        },
        footer = {
            "",
            "Local store: the first set of --dir, $LARDER_DIR, $XDG_CACHE_HOME/larder,",
            "else ~/.cache/larder. Example with a shared remote cache in front of it:",
            "  GOCACHEPROG=\"larder helper --store http://cache.example:8080\" go build ./...",
            "Exit status: 0 after close or end of input; 1 if the input could not be",
            "framed or the store failed; 2 for bad usage.",
        })
final class HelperCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.larder.cli");

    @CommandLine.Mixin
    private DirOptions dir;

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

    @Option(names = "--auto-trim",
            description = "After the session (its output already closed), trim the store to --max-size/--max-age; "
                    + "at most every 10 minutes. Also: LARDER_AUTO_TRIM=1.")
    private boolean autoTrim;

    @CommandLine.Mixin
    private TrimOptions budget;

    @CommandLine.Mixin
    private StoreOptions stores;

    /** Auto-trims run at most this often per store, whichever process runs them. */
    static final Duration AUTO_TRIM_INTERVAL = Duration.ofMinutes(10);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        // stdout belongs to the protocol writer alone: anything else that prints goes to stderr.
        Invocation inv = Invocation.current();
        OutputStream protocolOut = new BufferedOutputStream(inv.out(), 64 * 1024);
        if (!Invocation.inDaemon()) {
            System.setOut(System.err);
        }
        return inv.stdoutToStderr().bound(() -> serve(inv, protocolOut));
    }

    private int serve(Invocation inv, OutputStream protocolOut) throws IOException {
        if (workers < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--workers must be at least 1, got " + workers);
        }
        Optional<TrimSettings> trim = Optional.empty();
        if (autoTrim || "1".equals(inv.getenv("LARDER_AUTO_TRIM"))) {
            trim = budget.settings(false, inv.env());
            if (trim.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--auto-trim needs --max-size or --max-age (or LARDER_MAX_SIZE or LARDER_MAX_AGE)");
            }
        }
        StoreOptions.Resolved tiers = stores.resolve(inv.env());
        Path store = dir.resolve();
        // With every tier read-only there is nowhere to put: put leaves KnownCommands, as --read-only.
        HelperSettings options = new HelperSettings(readOnly || !tiers.writable(), Optional.ofNullable(statsJson),
                workers, Optional.of(Main.launchedAt()));
        CacheHelper helper = CacheHelper.create(() -> tiers.open(store), options);
        Optional<Path> trimmed = tiers.nearestLocal(store);
        helper.serve(inv.in(), protocolOut);
        // The session's output is closed by now: cmd/go has moved on, and is not kept
        // waiting by the trim.
        trim.ifPresent(p -> trimmed.ifPresent(d -> autoTrim(d, p)));
        return 0;
    }

    /** Trims the store unless a trim ran within {@link #AUTO_TRIM_INTERVAL}; never fails the session. */
    private static void autoTrim(Path dir, TrimSettings policy) {
        try (LocalStore store = LocalStore.open(dir, StoreClock.get())) {
            Optional<Instant> last = store.lastTrim().map(TrimResult::at);
            if (last.isPresent() && last.get().isAfter(StoreClock.get().instant().minus(AUTO_TRIM_INTERVAL))) {
                LOG.log(System.Logger.Level.DEBUG, () -> "auto-trim: last trim at " + last.get() + ", skipped");
                return;
            }
            TrimResult r = store.trim(policy);
            LOG.log(System.Logger.Level.INFO, () -> "auto-trim: removed " + r.entriesRemoved() + " entries ("
                    + ByteSize.format(r.bytesRemoved()) + "), " + ByteSize.format(r.bytesLeft()) + " left");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "auto-trim failed: " + e.getMessage());
        }
    }
}
