package dev.larder.storage.tier;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContract;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract for a Bazel HTTP remote cache as {@code --store http://…} opens it: through
 * the provider of its scheme, against larder's own cache server on loopback over a real local
 * store, one server per test.
 */
class HttpBackendContractTest extends BackendContract {
    @TempDir
    static Path farRoot;

    @RegisterExtension
    static final FarCaches farCaches = new FarCaches();

    /** This test's server, started by its first {@link #open}. */
    private FarCache far;

    @Override
    protected Backend open() throws IOException {
        if (far == null) {
            far = farCaches.start(farRoot, Optional.empty(), clock);
        }
        return Stores.providers(getClass().getClassLoader()).get("http").open(URI.create(far.url()), context());
    }
}
