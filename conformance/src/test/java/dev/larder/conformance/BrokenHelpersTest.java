package dev.larder.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proof that every check can fail: for each check, a reference helper broken in exactly the
 * way that check is about must fail that check and no other.
 */
@Execution(ExecutionMode.CONCURRENT)
class BrokenHelpersTest {
    /** Each break of the reference helper, and the one check that must catch it. */
    static final Map<String, String> CAUGHT_BY = new TreeMap<>(Map.ofEntries(
            Map.entry("handshake-waits", "1.1/1"),
            Map.entry("handshake-id", "1.1/2"),
            Map.entry("handshake-empty", "1.1/3"),
            Map.entry("stdout-noise", "2.1/1"),
            Map.entry("size-as-string", "2.2/1"),
            Map.entry("strict-fields", "2.3/1"),
            Map.entry("miss-as-err", "3.1/1"),
            Map.entry("get-wrong-outputid", "3.2/1"),
            Map.entry("get-size-off", "3.2/2"),
            Map.entry("get-relative-diskpath", "3.2/3"),
            Map.entry("time-format", "3.2/4"),
            Map.entry("time-future", "3.2/5"),
            Map.entry("put-no-diskpath", "4.1/1"),
            Map.entry("zero-reads-body", "4.2/1"),
            Map.entry("body-text-mode", "4.3/1"),
            Map.entry("large-truncate", "4.4/1"),
            Map.entry("first-put-wins", "4.5/1"),
            Map.entry("no-legacy", "4.6/1"),
            Map.entry("output-keyed-index", "4.7/1"),
            Map.entry("drop-50th", "5.1/1"),
            Map.entry("duplicate-50th", "5.1/2"),
            Map.entry("phantom-50th", "5.1/3"),
            Map.entry("close-silent", "6.1/1"),
            Map.entry("hang-after-close", "6.1/2"),
            Map.entry("exit-3-after-close", "6.1/3"),
            Map.entry("ignore-eof", "6.2/1"),
            Map.entry("scratch-diskpath", "6.3/1"),
            Map.entry("private-copies", "6.3/2"),
            Map.entry("unknown-cmd-exit", "7.1/1"),
            Map.entry("no-hash-check", "7.2/1"),
            Map.entry("no-size-check", "7.3/1"),
            Map.entry("malformed-skip", "7.4/1"),
            Map.entry("bad-id-exit", "7.5/1"),
            Map.entry("partial-put-stored", "7.6/1"),
            Map.entry("lenient-id", "7.7/1"),
            Map.entry("memory-only", "8.1/1")));

    /**
     * Short waits: the reference helper answers in milliseconds (it starts in about 0.1 s), and
     * each break that hangs costs a wait or two.
     */
    static Settings settings(List<String> command) {
        return Settings.of(command)
                .withTimeout(Duration.ofSeconds(3))
                .withLargeBodySize(3 << 20)
                .withPersistent(true);
    }

    static Stream<Arguments> breaks() {
        return CAUGHT_BY.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @Test
    void catalogue_everyCheckIsCaughtByABrokenHelper() {
        Set<String> ids = ConformanceKit.catalogue().stream().map(Check::id).collect(Collectors.toSet());
        assertEquals(ids, Set.copyOf(CAUGHT_BY.values()), "checks without a broken helper that proves they can fail");
    }

    @ParameterizedTest(name = "{0} fails {1} only")
    @MethodSource("breaks")
    void run_brokenHelper_failsExactlyItsCheck(String breakName, String checkId, @TempDir Path store) {
        Report report = ConformanceKit.run(settings(ReferenceHelper.command(store, breakName)), c -> { });
        List<String> failed = report.results().stream()
                .filter(r -> r.status() == Result.Status.FAILED)
                .map(r -> r.check().id() + " (" + r.expected() + " / " + r.actual() + ")")
                .toList();
        assertEquals(1, failed.size(), "got failures " + failed + ", want " + checkId + " only");
        assertEquals(checkId, failed.get(0).substring(0, failed.get(0).indexOf(' ')),
                "got failures " + failed + ", want " + checkId + " only");
    }
}
