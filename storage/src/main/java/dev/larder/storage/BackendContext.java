package dev.larder.storage;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link StorageProvider} may use to open a backend, besides its URI.
 *
 * @param token   a bearer token for remote backends ({@code $LARDER_REMOTE_TOKEN} or the token
 *                file), if one was given
 * @param timeout how long one remote request may take before it counts as failed
 * @param clock   where times of puts and uses come from
 * @param env     the process environment, for provider-specific settings
 */
public record BackendContext(Optional<String> token, Duration timeout, InstantSource clock, Map<String, String> env) {
    public BackendContext {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(clock, "clock");
        env = Map.copyOf(env);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("backend timeout: got " + timeout + ", want > 0");
        }
    }
}
