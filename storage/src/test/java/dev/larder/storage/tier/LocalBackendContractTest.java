package dev.larder.storage.tier;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContract;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract for the local store as {@code --store h2:DIR} opens it: through the
 * provider of its scheme, as {@link Stores} finds it, every instance over the same directory.
 */
class LocalBackendContractTest extends BackendContract {
    @TempDir
    Path tmp;

    @Override
    protected Backend open() throws IOException {
        URI uri = URI.create("h2:" + tmp.resolve("store"));
        return Stores.providers(getClass().getClassLoader()).get("h2").open(uri, context());
    }
}
