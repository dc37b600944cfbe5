package dev.larder.storage.h2;

import java.time.Instant;

/** Times as the index stores them: nanoseconds since the epoch, in a {@code BIGINT}. */
final class EpochNanos {
    private EpochNanos() {
    }

    /** {@code t} in nanoseconds since the epoch; throws ArithmeticException past the year 2262. */
    static long of(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    /** The instant {@code nanos} nanoseconds after the epoch (before it, if negative). */
    static Instant toInstant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
