package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /** The identity of {@code make} in {@code /src} with {@code env} as RunCache keys it, ignoring {@code ignored}. */
    private static dev.larder.protocol.ActionId keyed(Map<String, String> env, Set<String> ignored) {
        return id(List.of("make"), CacheKeys.keyedEnvironment(env, ignored), "/src", 022, "null");
    }

    private static Map<String, String> with(String name, String value) {
        Map<String, String> env = new HashMap<>(ENV);
        env.put(name, value);
        return env;
    }

    @Test
    void keyedEnvironment_shellBookkeeping_isNotKeyed() {
        var base = keyed(ENV, Set.of());
        for (String name : List.of("OLDPWD", "SHLVL", "_")) {
            assertEquals(base, keyed(with(name, "/somewhere/else"), Set.of()), name + " changed the key");
        }
        assertNotEquals(base, keyed(with("OLDPWDX", "/a"), Set.of()), "a variable named like one still counts");
    }

    @Test
    void keyedEnvironment_jobserverOptionsOnly_areLeftOutOfMakeFlags() {
        for (String name : List.of("MAKEFLAGS", "MFLAGS")) {
            var j2 = keyed(with(name, "k -j2 --jobserver-auth=3,4 -- V=1"), Set.of());
            assertEquals(j2, keyed(with(name, "k -j2 --jobserver-auth=5,6 -- V=1"), Set.of()), name + " fds");
            assertEquals(j2, keyed(with(name, "k -j2 --jobserver-auth=fifo:/tmp/GMfifo77 -- V=1"), Set.of()),
                    name + " fifo");
            assertEquals(j2, keyed(with(name, "k -j2 --jobserver-fds=3,4 -- V=1"), Set.of()), name + " old make");
            assertEquals(j2, keyed(with(name, "k -j2 -- V=1"), Set.of()), name + " none");
            assertNotEquals(j2, keyed(with(name, "k -j3 --jobserver-auth=3,4 -- V=1"), Set.of()), name + " -j");
            assertNotEquals(j2, keyed(with(name, "-j2 --jobserver-auth=3,4 -- V=1"), Set.of()), name + " -k");
            assertNotEquals(j2, keyed(with(name, "k -j2 --jobserver-auth=3,4 -- V=2"), Set.of()), name + " V");
        }
    }

    @Test
    void withoutJobserver_keepsOtherWordsAndAssignmentsAsTheyAre() {
        assertEquals(" -k -j2", CacheKeys.withoutJobserver(" -k -j2 --jobserver-auth=3,4"));
        assertEquals("k -j3 --no-print-directory -- X=a\\ b --jobserver-auth=1,2",
                CacheKeys.withoutJobserver("k -j3 --jobserver-auth=3,4 --no-print-directory -- X=a\\ b "
                        + "--jobserver-auth=1,2"));
        assertEquals("", CacheKeys.withoutJobserver(""));
    }

    @Test
    void keyedEnvironment_ignoredNames_areNotKeyedOthersAre() {
        Set<String> ignored = Set.of("FOO");
        assertEquals(keyed(with("FOO", "1"), ignored), keyed(with("FOO", "2"), ignored), "FOO is ignored");
        assertEquals(keyed(ENV, ignored), keyed(with("FOO", "1"), ignored), "FOO set or not");
        assertNotEquals(keyed(with("FOO", "1"), Set.of()), keyed(with("FOO", "2"), Set.of()), "FOO not ignored");
        assertNotEquals(keyed(with("BAR", "1"), ignored), keyed(with("BAR", "2"), ignored), "BAR");
    }

    @Test
    void keyedEnvironment_leavesTheGivenEnvironmentWhole() {
        Map<String, String> env = with("SHLVL", "3");
        CacheKeys.keyedEnvironment(env, Set.of("PATH"));
        assertEquals("3", env.get("SHLVL"));
        assertEquals("/usr/bin", env.get("PATH"));
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
