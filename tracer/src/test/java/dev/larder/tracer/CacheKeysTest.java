package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keys: every part of the identity counts, and fields cannot run into each other. */
class CacheKeysTest {
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin", "LANG", "C");

    private static dev.larder.protocol.ActionId id(List<String> argv, Map<String, String> env, String cwd, int umask,
            String stdin) {
        return CacheKeys.identity("/usr/bin/make", "file abc", argv, env, cwd, umask, stdin);
    }

    @Test
    void identity_sameInputs_sameKey() {
        assertEquals(id(List.of("make"), ENV, "/src", 022, "null"), id(List.of("make"), Map.copyOf(ENV), "/src", 022,
                "null"));
    }

    @Test
    void identity_eachPartCounts() {
        var base = id(List.of("make", "-j2"), ENV, "/src", 022, "null");
        assertNotEquals(base, id(List.of("make", "-j3"), ENV, "/src", 022, "null"), "argv");
        assertNotEquals(base, id(List.of("make", "-j2"), Map.of("PATH", "/usr/bin", "LANG", "C.UTF-8"), "/src", 022,
                "null"), "env");
        assertNotEquals(base, id(List.of("make", "-j2"), ENV, "/src2", 022, "null"), "cwd");
        assertNotEquals(base, id(List.of("make", "-j2"), ENV, "/src", 002, "null"), "umask");
        assertNotEquals(base, id(List.of("make", "-j2"), ENV, "/src", 022, "file 123"), "stdin");
        assertNotEquals(base, CacheKeys.identity("/usr/bin/make", "file abd", List.of("make", "-j2"), ENV, "/src", 022,
                "null"), "executable content");
    }

    @Test
    void identity_argvBoundaries_matter() {
        assertNotEquals(id(List.of("a b", "c"), ENV, "/", 022, "null"), id(List.of("a", "b c"), ENV, "/", 022, "null"));
    }

    @Test
    void digest_dependsOnEveryField() {
        var id = id(List.of("make"), ENV, "/src", 022, "null");
        Precondition p = new Precondition("/a", Probe.Kind.CONTENT, "file 1", List.of());
        String d = CacheKeys.digest(id, List.of(p));
        assertNotEquals(d, CacheKeys.digest(id, List.of(new Precondition("/a", Probe.Kind.STAT, "file 1", List.of()))));
        assertNotEquals(d, CacheKeys.digest(id, List.of(new Precondition("/a", Probe.Kind.CONTENT, "file 2",
                List.of()))));
        assertNotEquals(d, CacheKeys.digest(id, List.of(new Precondition("/a", Probe.Kind.CONTENT, "file 1",
                List.of("x")))));
    }

    @Test
    void digest_isBoundToTheIdentity() {
        List<Precondition> none = List.of();
        assertNotEquals(CacheKeys.digest(id(List.of("a"), ENV, "/", 022, "null"), none),
                CacheKeys.digest(id(List.of("b"), ENV, "/", 022, "null"), none));
    }

    @Test
    void manifest_adding_putsNewestFirstDropsSameDigestAndCaps() {
        Manifest m = Manifest.empty();
        for (int i = 0; i < 12; i++) {
            m = m.adding(new Manifest.Candidate("d" + i, List.of()));
        }
        assertEquals(Manifest.MAX_CANDIDATES, m.candidates().size());
        assertEquals("d11", m.candidates().get(0).digest());
        m = m.adding(new Manifest.Candidate("d5", List.of()));
        assertEquals("d5", m.candidates().get(0).digest());
        assertEquals(1, m.candidates().stream().filter(c -> c.digest().equals("d5")).count());
    }
}
