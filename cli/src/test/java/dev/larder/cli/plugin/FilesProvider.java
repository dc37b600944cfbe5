package dev.larder.cli.plugin;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContext;
import dev.larder.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens {@code files:/ABSOLUTE/DIR} stores: a directory, perhaps on a shared mount, that several
 * machines use as a far tier. Found by {@link java.util.ServiceLoader} through the jar's
 * {@code META-INF/services/dev.larder.storage.StorageProvider} file, which names this class.
 *
 * <p>Stateless and thread-safe; the public no-argument constructor is the one ServiceLoader calls.
 */
public final class FilesProvider implements StorageProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("files");
    }

    /** Accepts {@code files:/ABSOLUTE/DIR} only, so that a typo is a usage error before any session. */
    @Override
    public void validate(URI uri) {
        // files:/x is hierarchical with a path; files:x (relative) and files://host/x are not wanted.
        if (uri.getPath() == null || uri.getRawAuthority() != null || !uri.getPath().startsWith("/")) {
            throw new IllegalArgumentException(uri + ": want files:/ABSOLUTE/DIR");
        }
    }

    /**
     * Opens the directory the URI names, creating it if needed.
     *
     * @throws IOException if the directory cannot be created
     */
    @Override
    public Backend open(URI uri, BackendContext context) throws IOException {
        validate(uri);
        return FilesBackend.open(Path.of(uri.getPath()), context.clock());
    }
}
