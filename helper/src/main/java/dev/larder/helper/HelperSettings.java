package dev.larder.helper;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * How a {@link CacheHelper} behaves.
 *
 * @param readOnly  answer gets only: the handshake omits {@code put}, and puts get {@code Err}
 * @param statsJson where to write {@link HelperStats} as JSON when the session ends
 * @param workers   how many requests may be served at once
 * @param launchedAt when the helper's process was started, if known, for
 *                  {@link HelperStats#handshakeMillis()}
 */
public record HelperSettings(boolean readOnly, Optional<Path> statsJson, int workers, Optional<Instant> launchedAt) {
    public HelperSettings {
        if (workers < 1) {
            throw new IllegalArgumentException("workers: got " + workers + ", want >= 1");
        }
    }

    /** Read-write, no stats file, eight workers. */
    public static HelperSettings defaults() {
        return new HelperSettings(false, Optional.empty(), 8, Optional.empty());
    }

    public HelperSettings withReadOnly(boolean value) {
        return new HelperSettings(value, statsJson, workers, launchedAt);
    }

    public HelperSettings withStatsJson(Path file) {
        return new HelperSettings(readOnly, Optional.ofNullable(file), workers, launchedAt);
    }
}
