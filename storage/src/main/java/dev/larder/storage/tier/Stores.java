package dev.larder.storage.tier;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContext;
import dev.larder.storage.Digest;
import dev.larder.storage.Storage;
import dev.larder.storage.StorageProvider;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Opens the stores a helper serves from, as {@code --store} values list them (nearest first).
 *
 * <p>The nearest tier holds local files, which cmd/go reads: it is the first value when that is
 * a local store ({@link StoreSpec#isLocal}); otherwise the default local store (the helper's
 * {@code --dir}) is put in front. Every other value is a far tier. With no values, the default
 * local store alone. {@link #nearest} is the one home of this rule. Every tier, the default
 * local store included, is opened through its scheme's provider: this class knows no backend.
 */
public final class Stores {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage.tier");

    private Stores() {
    }

    /**
     * The nearest tier: the first value if it is a local store, else the default local store in
     * {@code defaultLocal} (writable).
     */
    public static StoreSpec nearest(List<StoreSpec> specs, Path defaultLocal) {
        return firstIsNearest(specs) ? specs.get(0) : StoreSpec.local(defaultLocal);
    }

    /** The far tiers: every value but the {@link #nearest} one. */
    static List<StoreSpec> far(List<StoreSpec> specs) {
        return firstIsNearest(specs) ? specs.subList(1, specs.size()) : specs;
    }

    private static boolean firstIsNearest(List<StoreSpec> specs) {
        return !specs.isEmpty() && specs.get(0).isLocal();
    }

    /** Whether a put can be stored anywhere: false only when every tier, the nearest included, is read-only. */
    public static boolean writable(List<StoreSpec> specs) {
        return !firstIsNearest(specs) || specs.stream().anyMatch(s -> !s.readOnly());
    }

    /**
     * The providers {@code loader} can see, by scheme: larder's own and any on its classpath.
     *
     * @throws IllegalArgumentException if two providers claim one scheme, or one cannot load
     */
    public static Map<String, StorageProvider> providers(ClassLoader loader) {
        Map<String, StorageProvider> byScheme = new TreeMap<>();
        try {
            for (StorageProvider p : ServiceLoader.load(StorageProvider.class, loader)) {
                for (String scheme : p.schemes()) {
                    StorageProvider other = byScheme.putIfAbsent(scheme, p);
                    if (other != null && !other.getClass().getName().equals(p.getClass().getName())) {
                        throw new IllegalArgumentException("scheme " + scheme + ": offered by both "
                                + other.getClass().getName() + " and " + p.getClass().getName());
                    }
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException("cannot load a storage provider: " + e.getMessage(), e);
        }
        return byScheme;
    }

    /**
     * Checks that every value has a provider that accepts its URI, before anything is opened.
     *
     * @throws IllegalArgumentException naming the first value without one (and the schemes
     *                                  known), or the provider's reason for refusing it
     */
    public static void check(List<StoreSpec> specs, Map<String, StorageProvider> providers) {
        for (StoreSpec s : specs) {
            StorageProvider p = providers.get(s.scheme());
            if (p == null) {
                throw new IllegalArgumentException("store " + s.display() + ": no provider for scheme " + s.scheme()
                        + " (known: " + String.join(", ", providers.keySet())
                        + "); a plugin's jar goes in --plugin-path");
            }
            try {
                p.validate(s.uri());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("store " + s.display() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Opens the tiers. A far tier that cannot be opened is left out with a warning (a remote
     * never fails a build); the nearest tier must open.
     *
     * @param defaultLocal the local store used as nearest tier when the first value is not one
     * @throws IllegalArgumentException if a value has no provider, or its provider refuses it
     * @throws IOException              if the nearest tier cannot be opened
     */
    public static Storage open(List<StoreSpec> specs, Path defaultLocal, Map<String, StorageProvider> providers,
            BackendContext context, TierSettings settings) throws IOException {
        check(specs, providers);
        StoreSpec nearest = nearest(specs, defaultLocal);
        check(List.of(nearest), providers);
        Backend nearBackend = providers.get(nearest.scheme()).open(nearest.uri(), context);
        Optional<Storage> local = nearBackend.local();
        if (local.isEmpty()) {
            nearBackend.close();
            throw new IllegalStateException("store " + nearest.display() + ": its provider ("
                    + providers.get(nearest.scheme()).getClass().getName() + ") opened no local store");
        }
        Storage near = local.get();
        boolean nearWritable = !nearest.readOnly();
        List<StoreSpec> rest = far(specs);
        if (rest.isEmpty() && nearWritable) {
            return near;
        }
        List<Tier> far = new ArrayList<>();
        try {
            for (StoreSpec s : rest) {
                try {
                    Backend b = providers.get(s.scheme()).open(s.uri(), context);
                    far.add(new Tier(s.toString(), b, !s.readOnly(), settings.failuresToStop()));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "store " + s.display() + ": cannot open, left out: " + e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            near.close();
            throw e;
        }
        Optional<Prefetch> prefetch = Optional.empty();
        Optional<Path> dir = near.clientDirectory();
        if (settings.prefetchKey().isPresent() && dir.isPresent() && nearWritable && !far.isEmpty()) {
            Digest key = Digest.sha256(settings.prefetchKey().get().getBytes(StandardCharsets.UTF_8));
            prefetch = Optional.of(new Prefetch(dir.get().resolve("prefetch").resolve(key.toString())));
        }
        TieredStorage tiers = new TieredStorage(near, nearWritable, far, settings, context.clock(), prefetch);
        tiers.startPrefetch();
        return tiers;
    }
}
