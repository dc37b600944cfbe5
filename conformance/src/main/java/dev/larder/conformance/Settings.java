package dev.larder.conformance;

import java.time.Duration;
import java.util.List;

/**
 * What to check and how: the helper command, the wait for any one thing the helper must do,
 * the size of the large-body check, whether the store outlives the helper, and which checks to
 * run (ids starting with one of {@code only}; all when empty).
 */
public record Settings(List<String> command, Duration timeout, long largeBodySize, boolean persistent,
        List<String> only) {
    /** Default wait for any one reply, exit or end of output. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Default size of the large-body check: 64 MiB. */
    public static final long DEFAULT_LARGE_BODY = 64L << 20;

    public Settings {
        command = List.copyOf(command);
        only = List.copyOf(only);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no helper command given");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (largeBodySize < 1) {
            throw new IllegalArgumentException("large body size must be at least 1 byte, got " + largeBodySize);
        }
    }

    /** Every check, default timeout and sizes, no persistence claimed. */
    public static Settings of(List<String> command) {
        return new Settings(command, DEFAULT_TIMEOUT, DEFAULT_LARGE_BODY, false, List.of());
    }

    public Settings withTimeout(Duration t) {
        return new Settings(command, t, largeBodySize, persistent, only);
    }

    public Settings withLargeBodySize(long bytes) {
        return new Settings(command, timeout, bytes, persistent, only);
    }

    public Settings withPersistent(boolean p) {
        return new Settings(command, timeout, largeBodySize, p, only);
    }

    public Settings withOnly(List<String> prefixes) {
        return new Settings(command, timeout, largeBodySize, persistent, prefixes);
    }

    /** Whether {@code check} is selected by {@link #only()}. */
    public boolean selects(Check check) {
        return only.isEmpty() || only.stream().anyMatch(p -> check.id().startsWith(p));
    }
}
