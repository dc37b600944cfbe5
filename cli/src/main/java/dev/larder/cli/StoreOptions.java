package dev.larder.cli;

import dev.larder.storage.BackendContext;
import dev.larder.storage.Storage;
import dev.larder.storage.StorageProvider;
import dev.larder.storage.h2.LocalStoreProvider;
import dev.larder.storage.tier.StoreSpec;
import dev.larder.storage.trust.RecordKeys;
import dev.larder.storage.tier.Stores;
import dev.larder.storage.tier.TierSettings;
import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The backend options shared by commands that serve from tiers of stores ({@code --store},
 * {@code --plugin-path}, the remote's token and timeouts, the record-signing keys), each with its
 * environment variable.
 * Call {@link #resolve} once, in the command, before the session starts: it reports bad values
 * as {@link IllegalArgumentException}s (usage errors) while nothing has been opened.
 */
final class StoreOptions {
    @Option(names = "--store", paramLabel = "URI",
            description = {"A store to serve from, nearest first; repeatable (or $LARDER_STORE, comma-separated).",
                "h2:PATH (a local store), http(s)://HOST[:PORT][/PREFIX] (a Bazel HTTP remote cache:",
                "bazel-remote, nginx WebDAV, larder serve), a plugin's SCHEME:..., any of them after readonly:.",
                "If the first is not h2:, the local store (--dir) is put in front."})
    List<String> stores = new ArrayList<>();

    @Option(names = "--plugin-path", paramLabel = "DIR",
            description = "Directories (':'-separated) of jars with storage providers (or $LARDER_PLUGIN_PATH).")
    String pluginPath;

    @Option(names = "--remote-token-file", paramLabel = "FILE",
            description = "Bearer token for remote stores, read from FILE (or $LARDER_REMOTE_TOKEN_FILE; "
                    + "$LARDER_REMOTE_TOKEN gives the token itself).")
    Path tokenFile;

    @Option(names = "--remote-timeout", paramLabel = "DURATION",
            description = "How long one remote request may take (or $LARDER_REMOTE_TIMEOUT; default 10s).")
    String remoteTimeout;

    @Option(names = "--upload-wait", paramLabel = "DURATION",
            description = "How long the session's end waits for uploads to finish (or $LARDER_UPLOAD_WAIT; default 60s).")
    String uploadWait;

    @Option(names = "--prefetch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With far tiers: record the actions each session asks for per working directory, and fetch "
                    + "those into the local store in the background as the next session there starts "
                    + "(default: on; $LARDER_PREFETCH=0 turns it off).")
    boolean prefetch;

    @CommandLine.Mixin
    KeyOptions keys = new KeyOptions();

    /** These options as command-line arguments, for a helper run elsewhere (the daemon) with the same tiers. */
    List<String> asArgs() {
        List<String> a = new ArrayList<>();
        Invocation inv = Invocation.current();
        for (String s : stores) {
            a.add("--store");
            a.add(s);
        }
        if (pluginPath != null) {
            a.add("--plugin-path");
            a.add(pluginPath);
        }
        if (tokenFile != null) {
            a.add("--remote-token-file");
            a.add(inv.resolve(tokenFile).toString());
        }
        if (remoteTimeout != null) {
            a.add("--remote-timeout");
            a.add(remoteTimeout);
        }
        if (uploadWait != null) {
            a.add("--upload-wait");
            a.add(uploadWait);
        }
        if (!prefetch) {
            a.add("--no-prefetch");
        }
        a.addAll(keys.asArgs());
        return a;
    }

    /** The options, checked and with every provider loaded; nothing is opened yet. */
    record Resolved(List<StoreSpec> specs, Map<String, StorageProvider> providers, BackendContext context,
            TierSettings tiers) {
        /** Whether a put can be stored in some tier (otherwise the helper is read-only). */
        boolean writable() {
            return Stores.writable(specs);
        }

        /** The directory of the nearest tier ({@link Stores#nearest}), when it is writable (what auto-trim trims). */
        Optional<Path> nearestLocal(Path defaultLocal) {
            StoreSpec nearest = Stores.nearest(specs, defaultLocal);
            return nearest.readOnly() ? Optional.empty() : Optional.of(LocalStoreProvider.path(nearest.uri()));
        }

        Storage open(Path defaultLocal) throws IOException {
            return Stores.open(specs, defaultLocal, providers, context, tiers);
        }
    }

    /** @throws IllegalArgumentException if a value is malformed, a plugin cannot load, or a scheme is unknown */
    Resolved resolve(Map<String, String> env) {
        List<StoreSpec> specs = new ArrayList<>();
        if (!stores.isEmpty()) {
            for (String s : stores) {
                specs.add(StoreSpec.parse(s));
            }
        } else if (env.get("LARDER_STORE") != null) {
            specs.addAll(StoreSpec.parseList(env.get("LARDER_STORE")));
        }
        Path cwd = Invocation.current().cwd();
        specs.replaceAll(s -> s.absolute(cwd));
        Map<String, StorageProvider> providers = providers(Optional.ofNullable(pluginPath)
                .or(() -> Optional.ofNullable(env.get("LARDER_PLUGIN_PATH"))));
        Stores.check(specs, providers);
        Duration timeout = duration(remoteTimeout, env.get("LARDER_REMOTE_TIMEOUT"), "--remote-timeout",
                Duration.ofSeconds(10));
        if (timeout.isZero()) {
            throw new IllegalArgumentException("--remote-timeout: must be more than 0");
        }
        Duration wait = duration(uploadWait, env.get("LARDER_UPLOAD_WAIT"), "--upload-wait", Duration.ofSeconds(60));
        BackendContext context = new BackendContext(token(env), timeout, StoreClock.get(), env);
        boolean prefetching = prefetch && !"0".equals(env.get("LARDER_PREFETCH"));
        RecordKeys k = keys.resolve(env);
        TierSettings tiers = TierSettings.defaults().withUploadWait(wait)
                .withPrefetchKey(prefetching ? Optional.of(cwd.toString()) : Optional.empty())
                .withKeys(k.signer(), k.trust());
        return new Resolved(List.copyOf(specs), providers, context, tiers);
    }

    private static Duration duration(String option, String env, String what, Duration otherwise) {
        String text = option != null ? option : env;
        return text == null || text.isBlank() ? otherwise : DurationText.parse(text, what);
    }

    private Optional<String> token(Map<String, String> env) {
        Path file = tokenFile;
        if (file == null && env.get("LARDER_REMOTE_TOKEN_FILE") != null) {
            file = Path.of(env.get("LARDER_REMOTE_TOKEN_FILE"));
        }
        if (file != null) {
            file = Invocation.current().resolve(file);
        }
        if (file != null) {
            try {
                return Optional.of(TokenFile.read(file));
            } catch (IOException e) {
                // Checked before anything opens: a bad token file is a bad value of the option (exit 2).
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        String t = env.get("LARDER_REMOTE_TOKEN");
        return t == null || t.isBlank() ? Optional.empty() : Optional.of(t.strip());
    }

    /** larder's own providers, found once per process (a daemon's sessions need not scan again). */
    private static volatile Map<String, StorageProvider> builtIn;

    private static Map<String, StorageProvider> providers(Optional<String> pluginPath) {
        if (pluginPath.isPresent() && !pluginPath.get().isBlank()) {
            return Stores.providers(pluginLoader(pluginPath));
        }
        Map<String, StorageProvider> own = builtIn;
        if (own == null) {
            own = java.util.Collections.unmodifiableMap(Stores.providers(StoreOptions.class.getClassLoader()));
            builtIn = own;
        }
        return own;
    }

    /** A class loader over the jars in the plugin path's directories (or named directly), else larder's own. */
    private static ClassLoader pluginLoader(Optional<String> path) {
        ClassLoader own = StoreOptions.class.getClassLoader();
        if (path.isEmpty() || path.get().isBlank()) {
            return own;
        }
        List<URL> jars = new ArrayList<>();
        for (String part : path.get().split(File.pathSeparator)) {
            if (part.isBlank()) {
                continue;
            }
            Path p = Invocation.current().resolve(Path.of(part));
            try {
                if (Files.isDirectory(p)) {
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p, "*.jar")) {
                        for (Path jar : ds) {
                            jars.add(jar.toUri().toURL());
                        }
                    }
                } else if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
                    jars.add(p.toUri().toURL());
                } else {
                    throw new IllegalArgumentException("--plugin-path: " + p + " is neither a directory nor a .jar");
                }
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("--plugin-path: " + p + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new IllegalArgumentException("--plugin-path: cannot list " + p + ": " + e.getMessage(), e);
            }
        }
        jars.sort((a, b) -> a.toString().compareTo(b.toString()));
        return new URLClassLoader("larder-plugins", jars.toArray(URL[]::new), own);
    }
}
