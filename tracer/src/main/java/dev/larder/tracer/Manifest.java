package dev.larder.tracer;

import java.util.ArrayList;
import java.util.List;

/**
 * What is stored under a command's identity: the precondition sets of its recorded runs, newest
 * first. Each candidate's {@code digest} ({@link CacheKeys#digest}: the identity and the
 * preconditions, hashed) names, together with the identity, the entry holding that run's
 * {@link Outputs}. Read back only through {@link Records}, which checks every candidate.
 */
record Manifest(int version, List<Candidate> candidates) {
    /** 2: candidate digests bind the identity (version 1 manifests are not read). */
    static final int VERSION = 2;
    /** Older candidates beyond this many are forgotten when a new one is added. */
    static final int MAX_CANDIDATES = 8;

    /** One recorded run's preconditions. */
    record Candidate(String digest, List<Precondition> preconditions) {
        Candidate {
            preconditions = preconditions == null ? List.of() : List.copyOf(preconditions);
        }
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
