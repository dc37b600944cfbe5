package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.larder.tracer.MissExplanation.Verdict;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which recording {@link MissExplanation} calls closest, and how the miss says it. */
class MissExplanationTest {
    private static MissExplanation of(boolean complete, Verdict... verdicts) {
        MissExplanation m = new MissExplanation(complete);
        for (Verdict v : verdicts) {
            m.add(v);
        }
        return m;
    }

    @Test
    void closest_fewestFailuresWinsOverTheNewest() {
        MissExplanation m = of(true,
                Verdict.changed(410, List.of("/w/gen.h: now missing (was file 644 …)", "/w/src.c: content changed")),
                Verdict.changed(412, List.of("/w/src.c: content changed")));
        assertEquals(Optional.of(1), m.closest());
        assertEquals("/w/src.c: content changed (recording 2 of 2, the closest: 1 of 412 preconditions no longer holds)",
                m.reason());
    }

    @Test
    void closest_tieGoesToTheNewest_aRecordingThatHeldBeatsAny_aRefusedOneNever() {
        assertEquals(Optional.of(0), of(true, Verdict.changed(3, List.of("a")), Verdict.changed(3, List.of("b"))).closest());
        MissExplanation held = of(true, Verdict.refused("the recorded run was not used: bad digest"),
                Verdict.changed(3, List.of("a")),
                Verdict.problem(5, "the outputs of a matching recorded run are no longer in the cache"));
        assertEquals(Optional.of(2), held.closest());
        assertEquals("the outputs of a matching recorded run are no longer in the cache (recording 3 of 3, the closest)",
                held.reason());
        assertEquals(Optional.of(1), of(true, Verdict.refused("x"), Verdict.changed(3, List.of("a", "b", "c"))).closest());
    }

    @Test
    void reason_oneRecording_namesTheFirstFailuresAndHowMany() {
        assertEquals("/w/a: content changed", of(true, Verdict.changed(9, List.of("/w/a: content changed"))).reason());
        MissExplanation many = of(true, Verdict.changed(9, List.of("a1", "a2", "a3", "a4", "a5", "a6")));
        assertEquals("a1; and a2; a3; a4; and 2 more (6 of 9 preconditions no longer hold)", many.reason());
    }

    @Test
    void reason_incompleteCheck_doesNotClaimClosestOrCounts() {
        MissExplanation m = of(false, Verdict.changed(9, List.of("a1")), Verdict.changed(7, List.of("b1")));
        assertEquals("a1 (recording 1 of 2)", m.reason());
    }

    @Test
    void lines_onePerRecording() {
        MissExplanation m = of(true, Verdict.changed(410, List.of("g", "s")), Verdict.changed(412, List.of("s")),
                Verdict.problem(5, "its outputs are gone"), Verdict.refused("the recorded run was not used: bad"));
        assertEquals(List.of(
                "recording 1 of 4 (newest): 2 of 410 preconditions no longer hold: g; and s",
                "recording 2 of 4: 1 of 412 preconditions no longer holds: s",
                "recording 3 of 4: all 5 preconditions hold, but its outputs are gone",
                "recording 4 of 4: the recorded run was not used: bad"), m.lines());
    }
}
