package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link IdentityLog} on real files: what it keeps, and what it says differs. */
class IdentityLogTest {
    @TempDir
    Path tmp;

    private static IdentityLog.Entry entry(String id, String cwd, List<String> argv, Map<String, String> env) {
        return IdentityLog.Entry.of(id, cwd, argv, "/usr/bin/" + argv.get(0), "file 755 abc", env, 022, "null");
    }

    @Test
    void remember_thenRead_newestFirst_distinctIdentities_bounded() {
        IdentityLog log = new IdentityLog(Optional.of(tmp.resolve("ids")));
        assertEquals(List.of(), log.read("make"));
        IdentityLog.Entry a = entry("a", "/w", List.of("make"), Map.of("CC", "gcc"));
        IdentityLog.Entry b = entry("b", "/w", List.of("make", "-j2"), Map.of("CC", "gcc"));
        log.remember(log.read("make"), a);
        log.remember(log.read("make"), b);
        log.remember(log.read("make"), a);
        assertEquals(List.of(a, b), log.read("make"));
        assertEquals(List.of(), log.read("cc"), "another command's identities are its own");
        for (int i = 0; i < IdentityLog.KEPT + 5; i++) {
            log.remember(log.read("make"), entry("n" + i, "/w", List.of("make"), Map.of()));
        }
        assertEquals(IdentityLog.KEPT, log.read("make").size());
    }

    @Test
    void remember_keepsValuesOnlyAsDigests() throws IOException {
        Path dir = tmp.resolve("ids");
        IdentityLog log = new IdentityLog(Optional.of(dir));
        log.remember(List.of(), entry("a", "/w", List.of("make"), Map.of("TOKEN", "s3cret-value")));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                assertFalse(Files.readString(f).contains("s3cret-value"), Files.readString(f));
            }
        }
    }

    @Test
    void read_damagedFile_isAnEmptyLog_andTheNextRunRewritesIt() throws IOException {
        Path dir = tmp.resolve("ids");
        IdentityLog log = new IdentityLog(Optional.of(dir));
        IdentityLog.Entry a = entry("a", "/w", List.of("make"), Map.of());
        log.remember(List.of(), a);
        Path f;
        try (Stream<Path> files = Files.list(dir)) {
            f = files.findFirst().orElseThrow();
        }
        Files.writeString(f, "[{\"identity\": \"a\", \"cwd\": ");
        assertEquals(List.of(), log.read("make"));
        log.remember(log.read("make"), a);
        assertEquals(List.of(a), log.read("make"));
    }

    @Test
    void noDirectory_remembersNothing() {
        IdentityLog log = new IdentityLog(Optional.empty());
        log.remember(List.of(), entry("a", "/w", List.of("make"), Map.of()));
        assertEquals(List.of(), log.read("make"));
    }

    @Test
    void remember_manyCommands_keepsTheNewestFiles() throws IOException {
        Path dir = tmp.resolve("ids");
        IdentityLog log = new IdentityLog(Optional.of(dir));
        for (int i = 0; i < IdentityLog.COMMANDS + 3; i++) {
            log.remember(List.of(), entry("a", "/w", List.of("tool" + i), Map.of()));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(IdentityLog.COMMANDS, files.count());
        }
    }

    @Test
    void difference_namesTheVariablesThatDiffer_notTheirValues() {
        IdentityLog.Entry was = entry("a", "/w", List.of("make"), Map.of("CC", "gcc", "OLD", "1", "SAME", "x"));
        IdentityLog.Entry now = entry("b", "/w", List.of("make"), Map.of("CC", "clang", "NEW", "2", "SAME", "x"));
        assertEquals(Optional.of("not run before with this identity; the last run of this command line here differed in "
                + "the environment: CC changed, NEW set, OLD unset"), IdentityLog.difference(List.of(was), now));
    }

    @Test
    void difference_prefersTheSameDirectoryAndArguments() {
        IdentityLog.Entry now = entry("n", "/w", List.of("make", "-j2"), Map.of("X", "2"));
        List<IdentityLog.Entry> earlier = List.of(
                entry("1", "/other", List.of("make", "-j2"), Map.of("X", "2")),
                entry("2", "/w", List.of("make", "-j3"), Map.of("X", "2")),
                entry("3", "/w", List.of("make", "-j2"), Map.of("X", "1")));
        assertEquals("not run before with this identity; the last run of this command line here differed in the "
                + "environment: X changed", IdentityLog.difference(earlier, now).orElseThrow());
        assertEquals("not run before with this identity; the last run of make here differed in the arguments: "
                + "argument 1 was -j3, now -j2", IdentityLog.difference(earlier.subList(0, 2), now).orElseThrow());
        assertEquals("not run before with this identity; the last run of this command line (in /other) differed in "
                + "the directory (was /other)", IdentityLog.difference(earlier.subList(0, 1), now).orElseThrow());
    }

    @Test
    void difference_executableUmaskStdin_andTheSameIdentity() {
        IdentityLog.Entry was = IdentityLog.Entry.of("a", "/w", List.of("./t.sh"), "/w/t.sh", "file 755 abc", Map.of(),
                022, "file 0f0f");
        IdentityLog.Entry now = IdentityLog.Entry.of("b", "/w", List.of("./t.sh"), "/w/t.sh", "file 755 def", Map.of(),
                077, "null");
        assertEquals(List.of("the executable's content (/w/t.sh)", "the umask (was 022, now 077)",
                "stdin (was a file, now /dev/null)"), IdentityLog.differences(was, now));
        assertTrue(IdentityLog.difference(List.of(was), was).orElseThrow().contains("no longer in the cache"));
        assertEquals(Optional.empty(), IdentityLog.difference(List.of(), now));
    }
}
