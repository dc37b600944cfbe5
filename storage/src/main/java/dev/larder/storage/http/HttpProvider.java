package dev.larder.storage.http;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContext;
import dev.larder.storage.StorageProvider;
import java.net.URI;
import java.util.Set;

/**
 * Opens {@code http://} and {@code https://} stores: Bazel HTTP remote caches, through
 * {@link HttpRemote}. TLS uses the JDK's trust store; the context's token is sent as a bearer
 * token.
 */
public final class HttpProvider implements StorageProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("http", "https");
    }

    @Override
    public Backend open(URI uri, BackendContext context) {
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(uri + ": no host; want http://HOST[:PORT][/PREFIX]");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(uri + ": a query or fragment is not allowed; want http://HOST[:PORT][/PREFIX]");
        }
        return HttpRemote.create(uri, context.token(), context.timeout(), context.clock());
    }
}
