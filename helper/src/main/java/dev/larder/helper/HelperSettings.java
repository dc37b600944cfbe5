package dev.larder.helper;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * How a {@link CacheHelper} behaves.
 *
 * @param readOnly    answer gets only: the handshake omits {@code put}, and puts get {@code Err}
 * @param statsJson   where to write {@link HelperStats} as JSON when the session ends
 * @param workers     how many requests may be served at once
 * @param launchedAt  when the helper's process was started, if known, for
 *                    {@link HelperStats#handshakeMillis()}
 * @param maxInFlight how many requests may have been read and not yet answered: at this many the
 *                    helper reads no further input until a reply has been written, so a client
 *                    that writes faster than the helper answers (or reads the answers) is held
 *                    back by the pipe instead of filling the helper's memory
 */
public record HelperSettings(boolean readOnly, Optional<Path> statsJson, int workers, Optional<Instant> launchedAt,
        int maxInFlight) {
    /**
     * The default {@link #maxInFlight}: deep enough to keep the workers busy (cmd/go has at most
     * a few dozen requests outstanding), small enough that the queue costs well under a megabyte.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 256;

    public HelperSettings {
        if (workers < 1) {
            throw new IllegalArgumentException("workers: got " + workers + ", want >= 1");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: got " + maxInFlight + ", want >= 1");
        }
    }

    /** Settings with the {@linkplain #DEFAULT_MAX_IN_FLIGHT default bound} on requests in flight. */
    public HelperSettings(boolean readOnly, Optional<Path> statsJson, int workers, Optional<Instant> launchedAt) {
        this(readOnly, statsJson, workers, launchedAt, DEFAULT_MAX_IN_FLIGHT);
    }

    /** Read-write, no stats file, eight workers, the default bound on requests in flight. */
    public static HelperSettings defaults() {
        return new HelperSettings(false, Optional.empty(), 8, Optional.empty());
    }

    public HelperSettings withReadOnly(boolean value) {
        return new HelperSettings(value, statsJson, workers, launchedAt, maxInFlight);
    }

    public HelperSettings withStatsJson(Path file) {
        return new HelperSettings(readOnly, Optional.ofNullable(file), workers, launchedAt, maxInFlight);
    }

    public HelperSettings withMaxInFlight(int value) {
        return new HelperSettings(readOnly, statsJson, workers, launchedAt, value);
    }
}
