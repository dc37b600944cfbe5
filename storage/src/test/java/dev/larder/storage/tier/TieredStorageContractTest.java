package dev.larder.storage.tier;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.larder.storage.BackendContext;
import dev.larder.storage.LocalStoreFiles;
import dev.larder.storage.Storage;
import dev.larder.storage.StorageContract;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract for tiers as {@code --store http://…} opens them: the contract's directory
 * as the near store, and larder's cache server over a second local store as the far tier, which
 * every put is uploaded to in the background.
 */
class TieredStorageContractTest extends StorageContract {
    @TempDir
    static Path farRoot;

    @RegisterExtension
    static final FarCaches farCaches = new FarCaches();

    private FarCache far;

    @BeforeEach
    void startFar() throws IOException {
        far = farCaches.start(farRoot, Optional.empty(), clock);
    }

    @Override
    protected Storage open(Path dir) throws IOException {
        BackendContext context = new BackendContext(Optional.empty(), Duration.ofSeconds(30), clock, Map.of());
        return Stores.open(List.of(StoreSpec.parse(far.url())), dir, Stores.providers(getClass().getClassLoader()),
                context, TierSettings.defaults());
    }

    /** The near store's blob and temp files, as for the local store alone: that is where entries live. */
    @Override
    protected Set<Path> bodyFiles(Path dir) throws IOException {
        return LocalStoreFiles.of(dir);
    }

    @Test
    void flush_afterPut_farCacheHoldsTheOutput() throws IOException {
        // The checks above hold with a live far tier behind the near store, not the near store alone.
        Storage s = store();
        byte[] body = "uploaded to the far tier".getBytes(UTF_8);
        put(s, action("shared"), body);
        s.flush();
        assertHolds(hit(far.store(), action("shared")), body);
    }
}
