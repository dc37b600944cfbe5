package dev.larder.storage.tier;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.BackendContext;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.Storage;
import dev.larder.storage.StorageProvider;
import dev.larder.storage.TestClock;
import dev.larder.storage.h2.LocalStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which stores a list of {@code --store} values opens, and the checks made before anything is opened. */
class StoresTest {
    @TempDir
    Path tmp;

    private final Map<String, StorageProvider> providers = Stores.providers(getClass().getClassLoader());
    private final BackendContext context = new BackendContext(Optional.empty(), Duration.ofSeconds(30),
            new TestClock(Instant.parse("2031-02-03T04:05:06Z")), Map.of());
    private final List<Storage> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (Storage s : opened) {
            s.close();
        }
    }

    private static List<StoreSpec> specs(String... values) {
        return Arrays.stream(values).map(StoreSpec::parse).toList();
    }

    private Storage open(Path defaultLocal, String... values) throws IOException {
        Storage s = Stores.open(specs(values), defaultLocal, providers, context, TierSettings.defaults());
        opened.add(s);
        return s;
    }

    private static Entry put(Storage s, String name) throws IOException {
        byte[] body = ("output of " + name).getBytes(UTF_8);
        return s.put(Digest.sha256(name.getBytes(UTF_8)), Digest.sha256(body), body.length, new ByteArrayInputStream(body));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                                              | true",
        "h2:/near                                        | true",
        "readonly:h2:/near                               | false",
        "readonly:h2:/near, http://cache:8080            | true",
        "readonly:h2:/near, readonly:http://cache:8080   | false",
        "readonly:h2:/near, h2:/second                   | true",
        "readonly:http://cache:8080                      | true",
        "readonly:s3://bucket                            | true",
    })
    void writable_dependsOnSomeTierTakingPuts(String list, boolean want) {
        boolean got = Stores.writable(StoreSpec.parseList(list));
        assertEquals(want, got, "writable(" + list + "): got " + got + ", want " + want
                + " (a first value that is not h2: puts the writable default local store in front)");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                                  | h2:/default",
        "h2:/near                            | h2:/near",
        "readonly:h2:/near, http://cache     | readonly:h2:/near",
        "http://cache, h2:/second            | h2:/default",
        "s3://bucket                         | h2:/default",
    })
    void nearest_isTheFirstValueIfLocal_elseTheDefaultLocalStore(String list, String want) {
        StoreSpec got = Stores.nearest(StoreSpec.parseList(list), Path.of("/default"));
        assertEquals(want, got.toString(), "nearest(" + list + "): got " + got + ", want " + want);
        List<StoreSpec> far = Stores.far(StoreSpec.parseList(list));
        assertFalse(far.stream().anyMatch(s -> s.toString().equals(want)), "far(" + list + "): got " + far
                + ", want it without the nearest " + want);
    }

    @Test
    void providers_builtIn_serveH2HttpAndHttps() {
        assertEquals(Set.of("h2", "http", "https"), providers.keySet(), "schemes: got " + providers.keySet()
                + ", want h2, http, https");
    }

    @Test
    void check_everySchemeKnown_passes() {
        Stores.check(specs("h2:/near", "http://cache", "readonly:https://cache"), providers);
    }

    @Test
    void check_unknownScheme_namesTheValueAndTheKnownSchemes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.check(specs("h2:/near", "S3://bucket/x"), providers));
        for (String part : List.of("S3://bucket/x", "scheme s3", "h2, http, https", "--plugin-path")) {
            assertTrue(e.getMessage().contains(part), "message: got " + e.getMessage() + ", want it to contain " + part);
        }
    }

    @Test
    void check_uriItsProviderRefuses_namesTheValueAndTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.check(specs("h2:/near", "http:no-host"), providers));
        for (String part : List.of("http:no-host", "no host")) {
            assertTrue(e.getMessage().contains(part), "message: got " + e.getMessage() + ", want it to contain " + part);
        }
    }

    @Test
    void check_credentialsInUrl_messageDoesNotRepeatThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.check(specs("http://builder:s3cret@cache.example"), providers));
        assertTrue(e.getMessage().contains("credentials"), "message: got " + e.getMessage() + ", want it to say why");
        assertFalse(e.getMessage().contains("s3cret"), "message: got " + e.getMessage() + ", want no password in it");
    }

    @Test
    void open_uriItsProviderRefuses_throwsBeforeOpeningAnything() {
        Path near = tmp.resolve("near");
        assertThrows(IllegalArgumentException.class, () -> open(tmp.resolve("default"), "h2:" + near, "http:no-host"));
        assertFalse(Files.exists(near), "near store: got " + near + " created, want nothing opened");
    }

    @Test
    void open_unknownScheme_throwsBeforeOpeningAnything() {
        Path near = tmp.resolve("near");
        Path defaultLocal = tmp.resolve("default");
        assertThrows(IllegalArgumentException.class, () -> open(defaultLocal, "h2:" + near, "gopher://host"));
        assertFalse(Files.exists(near), "near store: got " + near + " created, want nothing opened");
        assertFalse(Files.exists(defaultLocal), "default store: got " + defaultLocal + " created, want nothing opened");
    }

    @Test
    void open_noValues_isTheDefaultLocalStore() throws IOException {
        Path defaultLocal = tmp.resolve("default");
        Entry e = put(open(defaultLocal), "a");
        assertTrue(e.path().startsWith(defaultLocal), "entry path: got " + e.path() + ", want it inside " + defaultLocal);
    }

    @Test
    void open_firstValueLocal_isTheNearTierInsteadOfTheDefault() throws IOException {
        Path near = tmp.resolve("near");
        Path defaultLocal = tmp.resolve("default");
        Entry e = put(open(defaultLocal, "h2:" + near), "a");
        assertTrue(e.path().startsWith(near), "entry path: got " + e.path() + ", want it inside " + near);
        assertFalse(Files.exists(defaultLocal), "default store: got " + defaultLocal + " created, want it unused");
    }

    @Test
    void open_firstValueRemote_putsTheDefaultLocalStoreInFront() throws IOException {
        Path defaultLocal = tmp.resolve("default");
        Entry e = put(open(defaultLocal, "http://127.0.0.1:9"), "a");
        assertTrue(e.path().startsWith(defaultLocal), "entry path: got " + e.path() + ", want it inside " + defaultLocal);
    }

    @Test
    void open_secondLocalStore_isAFarTier() throws IOException {
        Path near = tmp.resolve("near");
        Path second = tmp.resolve("second");
        byte[] body = "in the second store".getBytes(UTF_8);
        Digest action = Digest.sha256("a".getBytes(UTF_8));
        try (Storage seed = LocalStore.open(second)) {
            seed.put(action, Digest.sha256(body), body.length, new ByteArrayInputStream(body));
        }
        Storage s = open(tmp.resolve("default"), "h2:" + near, "h2:" + second);
        Entry e = s.get(action).orElseThrow(() -> new AssertionError("get: got empty, want a hit from the second store"));
        assertTrue(e.path().startsWith(near), "entry path: got " + e.path() + ", want it copied into " + near);
        assertEquals(1L, s.counters().remoteHits(), "remoteHits: got " + s.counters().remoteHits() + ", want 1");
    }

    @Test
    void open_farTierThatCannotOpen_isLeftOut() throws IOException {
        // Its directory would be under a regular file: the value passes the check, opening fails.
        Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
        Path near = tmp.resolve("near");
        Storage s = open(tmp.resolve("default"), "h2:" + near, "h2:" + file.resolve("store"));
        Entry e = put(s, "a");
        assertTrue(e.path().startsWith(near), "entry path: got " + e.path() + ", want it inside " + near);
        assertTrue(s.get(Digest.sha256("b".getBytes(UTF_8))).isEmpty(), "get of an unknown action: got a hit, want empty");
        assertEquals(0L, s.counters().remoteErrors(), "remoteErrors: got "
                + s.counters().remoteErrors() + ", want 0 (no far tier asked)");
    }
}
