package dev.larder.conformance;

import java.time.Duration;
import java.util.List;

/**
 * What one check found.
 *
 * @param check    the check
 * @param status   passed, failed or skipped
 * @param note     for a pass, what was measured (may be empty); for a skip, why
 * @param expected for a failure, what the requirement wanted
 * @param actual   for a failure, what the helper did
 * @param duration how long the check ran
 * @param stderr   for a failure, the last lines the helper wrote on stderr
 */
public record Result(Check check, Status status, String note, String expected, String actual, Duration duration,
        List<String> stderr) {
    /** The outcome of a check. */
    public enum Status {
        PASSED, FAILED, SKIPPED
    }

    public Result {
        stderr = List.copyOf(stderr);
        note = note == null ? "" : note;
        expected = expected == null ? "" : expected;
        actual = actual == null ? "" : actual;
    }

    static Result passed(Check c, String note, Duration d) {
        return new Result(c, Status.PASSED, note, null, null, d, List.of());
    }

    static Result failed(Check c, String expected, String actual, Duration d, List<String> stderr) {
        return new Result(c, Status.FAILED, null, expected, actual, d, stderr);
    }

    static Result skipped(Check c, String why) {
        return new Result(c, Status.SKIPPED, why, null, null, Duration.ZERO, List.of());
    }
}
