package dev.larder.storage.tier;

import dev.larder.storage.Backend;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A far tier: a backend, whether it takes writes, and its health this session. Reads and writes
 * are judged apart: a remote that refuses uploads (a wrong token) can still serve hits.
 */
final class Tier {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage.tier");

    final String name;
    final Backend backend;
    final boolean writable;
    final Health reads;
    final Health writes;
    /** Whether this session said already that the tier served a record no trusted key signed. */
    final AtomicBoolean warnedUntrusted = new AtomicBoolean();

    Tier(String name, Backend backend, boolean writable, int failuresToStop) {
        this.name = name;
        this.backend = backend;
        this.writable = writable;
        this.reads = new Health(name, "reads from", failuresToStop);
        this.writes = new Health(name, "uploads to", failuresToStop);
    }

    /**
     * One direction's health: the first failure is said once on stderr; after a run of failures
     * the direction is off until the session ends, so a dead or slow remote costs a few timeouts
     * rather than one per request.
     */
    static final class Health {
        private final String tier;
        private final String what;
        private final int failuresToStop;
        private final AtomicInteger inARow = new AtomicInteger();
        private final AtomicBoolean warned = new AtomicBoolean();
        private volatile boolean off;

        Health(String tier, String what, int failuresToStop) {
            this.tier = tier;
            this.what = what;
            this.failuresToStop = failuresToStop;
        }

        boolean on() {
            return !off;
        }

        void ok() {
            inARow.set(0);
        }

        void failed(String message) {
            if (warned.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "store " + tier + ": " + message + " (" + what
                        + " it count as misses; see the helper's stats for how many)");
            } else {
                LOG.log(Level.DEBUG, () -> "store " + tier + ": " + message);
            }
            if (inARow.incrementAndGet() >= failuresToStop && !off) {
                off = true;
                LOG.log(Level.DEBUG, () -> "store " + tier + ": " + failuresToStop + " failures in a row, " + what
                        + " it stop for this session");
            }
        }
    }
}
