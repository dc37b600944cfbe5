package dev.larder.conformance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every session of one run, for the checks that judge the whole run (stdout carries only protocol
 * lines, ever; every response decodes as cmd/go's), and what the run learned about how the helper
 * ends. Thread-safe.
 */
final class RunLog {
    private static final Duration SHORT_GRACE = Duration.ofMillis(100);
    private final List<HelperSession> sessions = new ArrayList<>();
    private volatile boolean lingered;

    synchronized void add(HelperSession s) {
        sessions.add(s);
    }

    synchronized List<HelperSession> sessions() {
        return List.copyOf(sessions);
    }

    /** How long an unjudged teardown waits for the helper to exit. */
    Duration teardownGrace(Duration timeout) {
        return lingered && timeout.compareTo(SHORT_GRACE) > 0 ? SHORT_GRACE : timeout;
    }

    /** A helper did not exit within the grace after close: later teardowns wait less. */
    void helperLingered() {
        lingered = true;
    }
}
