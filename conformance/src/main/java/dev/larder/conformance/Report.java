package dev.larder.conformance;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one run: the results in catalogue order, and what the first handshake said.
 *
 * @param settings      what was run
 * @param startedAt     when the run began
 * @param duration      how long it took
 * @param handshake     time to the first handshake of a probe session, if one came
 * @param knownCommands the probe's KnownCommands, empty if it sent none
 * @param results       one per selected check, in catalogue order
 */
public record Report(Settings settings, Instant startedAt, Duration duration, Optional<Duration> handshake,
        List<String> knownCommands, List<Result> results) {

    public Report {
        knownCommands = List.copyOf(knownCommands);
        results = List.copyOf(results);
    }

    public long count(Result.Status status) {
        return results.stream().filter(r -> r.status() == status).count();
    }

    public long failed(Level level) {
        return results.stream().filter(r -> r.status() == Result.Status.FAILED && r.check().level() == level).count();
    }

    /** Whether every MUST check passed or was skipped (and, if {@code strict}, every SHOULD). */
    public boolean conforms(boolean strict) {
        return failed(Level.MUST) == 0 && (!strict || failed(Level.SHOULD) == 0);
    }
}
