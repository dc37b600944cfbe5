package dev.larder.storage;

import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * Opens backends for some URI schemes: the service larder looks up with
 * {@link java.util.ServiceLoader} among its own classes, the classpath, and the jars of
 * {@code --plugin-path}. larder's own providers serve {@code h2:} (the local store) and
 * {@code http:}/{@code https:} (a Bazel HTTP remote cache); a third party adds a scheme by
 * shipping a jar with an implementation and a
 * {@code META-INF/services/dev.larder.storage.StorageProvider} file naming it.
 *
 * <p>Implementations need a public no-argument constructor and must be thread-safe. (The name is
 * the service's, what {@code META-INF/services} files name; what it opens is one tier, a
 * {@link Backend}, never a whole {@link Storage}: larder stacks the tiers itself.)
 */
public interface StorageProvider {
    /** The URI schemes this provider opens, in lowercase, such as {@code "s3"}. */
    Set<String> schemes();

    /**
     * Checks that {@code uri} is one this provider can open, without opening anything (no
     * network, no files): larder calls it for every {@code --store} value before a session
     * starts, so that a typo is a usage error rather than a tier left out. The default accepts
     * every URI.
     *
     * @throws IllegalArgumentException if it is not; its message is shown to the user
     */
    default void validate(URI uri) {
        // accepts everything; open() may still refuse
    }

    /**
     * Opens the backend at {@code uri}, whose scheme is one of {@link #schemes()}. The
     * {@code readonly:} prefix is larder's business and is already removed.
     *
     * @throws IllegalArgumentException if the URI is not one this provider understands; its
     *                                  message is shown to the user
     * @throws IOException              if the backend cannot be opened
     */
    Backend open(URI uri, BackendContext context) throws IOException;
}
