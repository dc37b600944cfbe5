package dev.larder.storage.h2;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContext;
import dev.larder.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens {@code h2:PATH} stores: the local store in directory PATH (relative to the working
 * directory; a leading {@code ~/} is the home directory), created on first use.
 */
public final class H2Provider implements StorageProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("h2");
    }

    @Override
    public Backend open(URI uri, BackendContext context) throws IOException {
        return new H2Backend(H2Storage.open(path(uri), context.clock()));
    }

    @Override
    public void validate(URI uri) {
        path(uri);
    }

    /** The directory an {@code h2:} URI names. */
    public static Path path(URI uri) {
        String p = uri.getSchemeSpecificPart();
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException(uri + ": no directory; want h2:PATH");
        }
        if (p.startsWith("//")) {
            // h2:///abs/path, the "file:" habit: an empty authority.
            p = p.substring(2);
        }
        if (p.equals("~") || p.startsWith("~/")) {
            p = System.getProperty("user.home") + p.substring(1);
        }
        return Path.of(p).toAbsolutePath().normalize();
    }
}
