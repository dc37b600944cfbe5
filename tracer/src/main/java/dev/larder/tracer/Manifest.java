package dev.larder.tracer;

import java.util.ArrayList;
import java.util.List;

/**
 * What is stored under a command's identity: the precondition sets of its recorded runs, newest
 * first. Each candidate's {@code digest} (hex SHA-256 of its preconditions) names, together with
 * the identity, the entry holding that run's {@link Outputs}.
 */
record Manifest(int version, List<Candidate> candidates) {
    static final int VERSION = 1;
    /** Older candidates beyond this many are forgotten when a new one is added. */
    static final int MAX_CANDIDATES = 8;

    /** One recorded run's preconditions. */
    record Candidate(String digest, List<Precondition> preconditions) {
    }

    Manifest {
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }

    static Manifest empty() {
        return new Manifest(VERSION, List.of());
    }

    /** This manifest with {@code c} first, an older candidate of the same digest dropped. */
    Manifest adding(Candidate c) {
        List<Candidate> all = new ArrayList<>();
        all.add(c);
        for (Candidate old : candidates) {
            if (!old.digest().equals(c.digest()) && all.size() < MAX_CANDIDATES) {
                all.add(old);
            }
        }
        return new Manifest(VERSION, all);
    }
}
