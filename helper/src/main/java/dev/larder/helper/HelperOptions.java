package dev.larder.helper;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How a {@link CacheHelper} behaves.
 *
 * @param readOnly  answer gets only: the handshake omits {@code put}, and puts get {@code Err}
 * @param statsJson where to write {@link HelperStats} as JSON when the session ends
 * @param workers   how many requests may be served at once
 */
public record HelperOptions(boolean readOnly, Optional<Path> statsJson, int workers) {
    public HelperOptions {
        if (workers < 1) {
            throw new IllegalArgumentException("workers: got " + workers + ", want >= 1");
        }
    }

    /** Read-write, no stats file, eight workers. */
    public static HelperOptions defaults() {
        return new HelperOptions(false, Optional.empty(), 8);
    }

    public HelperOptions withReadOnly(boolean value) {
        return new HelperOptions(value, statsJson, workers);
    }

    public HelperOptions withStatsJson(Path file) {
        return new HelperOptions(readOnly, Optional.ofNullable(file), workers);
    }
}
