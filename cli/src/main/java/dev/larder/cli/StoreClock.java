package dev.larder.cli;

import java.time.Duration;
import java.time.InstantSource;

/**
 * The clock stores are opened with: the system clock, moved by {@code LARDER_TEST_CLOCK_OFFSET}
 * seconds when that is set. Tests use it to make a store's entries old without waiting hours
 * (trim never removes what was used within the last hour).
 */
final class StoreClock {
    private StoreClock() {
    }

    static InstantSource get() {
        String offset = Invocation.current().getenv("LARDER_TEST_CLOCK_OFFSET");
        if (offset == null || offset.isBlank()) {
            return InstantSource.system();
        }
        try {
            return InstantSource.offset(InstantSource.system(), Duration.ofSeconds(Long.parseLong(offset.trim())));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LARDER_TEST_CLOCK_OFFSET: not a number of seconds: " + offset);
        }
    }
}
