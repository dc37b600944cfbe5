package dev.larder.tracer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Why none of a command's recordings was replayed: a verdict for each, in the manifest's order
 * (newest first), and the one that came closest, whose reason a miss gives. The closest is a
 * recording whose preconditions all held (its outputs were the trouble), else the one with the
 * fewest preconditions that no longer hold, the newest of equals: the newest recording often
 * fails on a file an older build step wrote, while an older one fails only on the edit.
 */
final class MissExplanation {
    /** How many failed preconditions a miss's reason names besides the first. */
    private static final int MORE_SHOWN = 3;
    /** How many failed preconditions one recording's line names under {@code --explain=all}. */
    private static final int LINE_SHOWN = 10;

    /**
     * One recording's verdict.
     *
     * @param preconditions how many it has; -1 for a recording refused before they were checked
     * @param failed        those that no longer hold, described (all of them, or only the first
     *                      when the check stopped there); empty if all held
     * @param problem       why it was not replayed although its preconditions held (or why it was
     *                      not checked at all), else null
     */
    record Verdict(int preconditions, List<String> failed, String problem) {
        Verdict {
            failed = List.copyOf(failed);
        }

        static Verdict changed(int preconditions, List<String> failed) {
            return new Verdict(preconditions, failed, null);
        }

        /** A recording whose preconditions all held, not replayed for {@code problem}. */
        static Verdict problem(int preconditions, String problem) {
            return new Verdict(preconditions, List.of(), problem);
        }

        /** A recording refused before its preconditions were checked. */
        static Verdict refused(String problem) {
            return new Verdict(-1, List.of(), problem);
        }

        private boolean held() {
            return failed.isEmpty();
        }
    }

    private final List<Verdict> verdicts = new ArrayList<>();
    private final boolean complete;

    /** @param complete whether each verdict lists every failed precondition (else only the first) */
    MissExplanation(boolean complete) {
        this.complete = complete;
    }

    void add(Verdict v) {
        verdicts.add(v);
    }

    boolean isEmpty() {
        return verdicts.isEmpty();
    }

    /** The index of the closest recording; empty if there is none. */
    Optional<Integer> closest() {
        int best = -1;
        for (int i = 0; i < verdicts.size(); i++) {
            if (best < 0 || rank(verdicts.get(i)) < rank(verdicts.get(best))) {
                best = i;
            }
        }
        return best < 0 ? Optional.empty() : Optional.of(best);
    }

    /** Lower is closer: a recording that held, then by failures; a refused one, never checked, last. */
    private static int rank(Verdict v) {
        if (v.preconditions() < 0) {
            return Integer.MAX_VALUE;
        }
        return v.failed().size();
    }

    /**
     * The miss's reason: the closest recording's first failed precondition (and a few more), or
     * its problem, and which of how many recordings it was.
     */
    String reason() {
        int i = closest().orElseThrow();
        Verdict v = verdicts.get(i);
        String why = v.held() ? v.problem() : failures(v, MORE_SHOWN);
        String counted = v.held() || !complete ? "" : counted(v);
        if (verdicts.size() == 1) {
            return why + (v.failed().size() > 1 && complete ? " (" + counted + ")" : "");
        }
        return why + " (recording " + (i + 1) + " of " + verdicts.size()
                + (complete ? ", the closest" + (counted.isEmpty() ? "" : ": " + counted) : "") + ")";
    }

    /** {@code 2 of 412 preconditions no longer hold}, or {@code the first of 412 …} when the check stopped there. */
    private String counted(Verdict v) {
        int k = v.failed().size();
        if (!complete) {
            return "the first of its " + v.preconditions() + " preconditions that no longer holds";
        }
        return k + " of " + v.preconditions() + (k == 1 ? " preconditions no longer holds" : " preconditions no longer hold");
    }

    /** The first failure and up to {@code more} others, with how many are left unsaid. */
    private static String failures(Verdict v, int more) {
        List<String> f = v.failed();
        StringBuilder b = new StringBuilder(f.get(0));
        int shown = Math.min(f.size() - 1, more);
        if (shown > 0) {
            b.append("; and ").append(String.join("; ", f.subList(1, 1 + shown)));
        }
        if (f.size() - 1 > shown) {
            b.append("; and ").append(f.size() - 1 - shown).append(" more");
        }
        return b.toString();
    }

    /** One line per recording, for {@code --explain=all}: {@code recording 2 of 3: 1 of 412 preconditions no longer holds: …}. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        int n = verdicts.size();
        for (int i = 0; i < n; i++) {
            Verdict v = verdicts.get(i);
            String head = "recording " + (i + 1) + " of " + n + (i == 0 ? " (newest)" : "") + ": ";
            if (v.held()) {
                out.add(head + (v.preconditions() >= 0 ? "all " + v.preconditions() + " preconditions hold, but " : "")
                        + v.problem());
            } else {
                out.add(head + counted(v) + ": " + failures(v, LINE_SHOWN - 1));
            }
        }
        return out;
    }
}
