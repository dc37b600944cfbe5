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
        validate(uri);
        return HttpRemote.create(uri, context.token(), context.timeout(), context.clock());
    }

    @Override
    public void validate(URI uri) {
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(uri + ": no host; want http://HOST[:PORT][/PREFIX]");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(uri + ": a query or fragment is not allowed; want http://HOST[:PORT][/PREFIX]");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(uri.getScheme() + "://" + uri.getHost()
                    + ": credentials in the URI are not allowed (they would show in logs); use $LARDER_REMOTE_TOKEN "
                    + "or --remote-token-file");
        }
    }
}
