package dev.larder.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unbroken reference helper conforms, which makes each break's single failure meaningful. */
class ReferenceHelperTest {
    @Test
    void run_referenceHelper_passesEveryCheck(@TempDir Path store) {
        Report report = ConformanceKit.run(BrokenHelpersTest.settings(ReferenceHelper.command(store, null)), c -> { });
        List<String> notPassed = report.results().stream()
                .filter(r -> r.status() != Result.Status.PASSED)
                .map(r -> r.check().id() + " " + r.status() + " " + r.note() + r.expected() + " / " + r.actual())
                .toList();
        assertEquals(List.of(), notPassed);
        assertEquals(ConformanceKit.catalogue().size(), report.results().size());
        assertTrue(report.conforms(true));
        assertEquals(List.of("get", "put", "close"), report.knownCommands());
    }

    @Test
    void run_readOnlyReferenceHelper_skipsWhatNeedsPutAndPassesTheRest(@TempDir Path store) {
        Report report = ConformanceKit.run(
                BrokenHelpersTest.settings(ReferenceHelper.command(store, null, "--read-only")), c -> { });
        for (Result r : report.results()) {
            if (r.check().needs().contains(Check.Need.PUT)) {
                assertEquals(Result.Status.SKIPPED, r.status(), r.check().id());
                assertTrue(r.note().contains("read-only"), r.check().id() + ": " + r.note());
            } else {
                assertEquals(Result.Status.PASSED, r.status(), r.check().id() + ": " + r.expected() + " / " + r.actual());
            }
        }
        assertTrue(report.conforms(true));
    }
}
