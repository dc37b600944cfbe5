package dev.larder.storage.h2;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@link LocalStore#trim} aims for: at most {@code maxBytes} of outputs, and no entry unused
 * for longer than {@code maxAge}; at least one of them is given.
 *
 * @param maxBytes the budget for the bytes of all outputs the index names
 * @param maxAge   entries last used longer ago than this are removed
 * @param dryRun   only report what would be removed
 */
public record TrimSettings(OptionalLong maxBytes, Optional<Duration> maxAge, boolean dryRun) {
    /** Entries used this recently are never removed: their files may still be being read. */
    public static final Duration PROTECTED = Duration.ofHours(1);

    public TrimSettings {
        if (maxBytes.isEmpty() && maxAge.isEmpty()) {
            throw new IllegalArgumentException("a trim needs a size budget or a maximum age");
        }
        if (maxBytes.isPresent() && maxBytes.getAsLong() < 0) {
            throw new IllegalArgumentException("size budget: got " + maxBytes.getAsLong() + ", want >= 0");
        }
        if (maxAge.isPresent() && maxAge.get().isNegative()) {
            throw new IllegalArgumentException("maximum age: got " + maxAge.get() + ", want >= 0");
        }
    }
}
