package dev.larder.storage.tier;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.h2.LocalStoreProvider;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --store} values: every accepted form, and the words a bad one gets. */
class StoreSpecTest {
    private static void assertSpec(StoreSpec got, String wantUri, boolean wantReadOnly) {
        assertEquals(URI.create(wantUri), got.uri(), "uri of " + got.text() + ": got " + got.uri() + ", want " + wantUri);
        assertEquals(wantReadOnly, got.readOnly(),
                "readOnly of " + got.text() + ": got " + got.readOnly() + ", want " + wantReadOnly);
    }

    /** Checks that {@code text} names the local store in {@code want}, as the h2 provider reads its URI. */
    private static void assertDirectory(Path want, String text) {
        StoreSpec spec = StoreSpec.parse(text);
        assertTrue(spec.isLocal(), "isLocal of " + text + ": got false, want true");
        Path got = LocalStoreProvider.path(spec.uri());
        assertEquals(want, got, "directory of " + text + ": got " + got + ", want " + want);
    }

    private static IllegalArgumentException refused(String text) {
        return assertThrows(IllegalArgumentException.class, () -> StoreSpec.parse(text),
                "parse " + text + ": got no exception, want IllegalArgumentException");
    }

    private static void assertMessageHas(IllegalArgumentException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message: got " + e.getMessage() + ", want it to contain " + p);
        }
    }

    @Test
    void parse_h2Path_isLocalStoreInThatDirectory() {
        StoreSpec s = StoreSpec.parse("h2:/var/cache/larder");
        assertSpec(s, "h2:/var/cache/larder", false);
        assertEquals("h2", s.scheme(), "scheme: got " + s.scheme() + ", want h2");
        assertDirectory(Path.of("/var/cache/larder"), "h2:/var/cache/larder");
        assertEquals("h2:/var/cache/larder", s.text(), "text: got " + s.text() + ", want the value as given");
    }

    @Test
    void parse_absoluteBarePath_meansH2() {
        StoreSpec s = StoreSpec.parse("/var/cache/larder");
        assertSpec(s, "h2:/var/cache/larder", false);
        assertDirectory(Path.of("/var/cache/larder"), "/var/cache/larder");
        assertEquals("/var/cache/larder", s.text(), "text: got " + s.text() + ", want the value as given");
    }

    @Test
    void parse_relativeBarePath_meansH2RelativeToTheWorkingDirectory() {
        StoreSpec s = StoreSpec.parse("./cache/x");
        assertSpec(s, "h2:./cache/x", false);
        assertDirectory(Path.of("cache/x").toAbsolutePath(), "./cache/x");
        assertDirectory(Path.of("..").toAbsolutePath().normalize(), "..");
    }

    @Test
    void parse_homeBarePath_meansH2UnderTheHomeDirectory() {
        StoreSpec s = StoreSpec.parse("~/.cache/larder");
        assertSpec(s, "h2:~/.cache/larder", false);
        assertDirectory(Path.of(System.getProperty("user.home"), ".cache", "larder"), "~/.cache/larder");
    }

    @Test
    void parse_pathWithSpaces_keepsTheSpaces() {
        Path want = Path.of("/tmp/my build cache/larder");
        assertDirectory(want, "/tmp/my build cache/larder");
        assertDirectory(want, "h2:/tmp/my build cache/larder");
        assertDirectory(want, "readonly:/tmp/my build cache/larder");
    }

    @Test
    void parse_pathWithPercentSign_keepsIt() {
        // "%/" is no escape, so the URI is built from the parts and quotes it.
        assertDirectory(Path.of("/tmp/100%/larder"), "/tmp/100%/larder");
    }

    @Test
    void parse_barePathThatParsesAsUri_isStillThatPath() {
        assertAll(() -> assertDirectory(Path.of("/tmp/a%41"), "/tmp/a%41"),
                () -> assertDirectory(Path.of("/tmp/cache#2"), "/tmp/cache#2"));
    }

    @Test
    void parse_httpUrl_isRemoteAndNotLocal() {
        StoreSpec s = StoreSpec.parse("http://cache.example:8080/larder");
        assertSpec(s, "http://cache.example:8080/larder", false);
        assertEquals("http", s.scheme(), "scheme: got " + s.scheme() + ", want http");
        assertFalse(s.isLocal(), "isLocal of an http: store: got true, want false");
        assertEquals("cache.example", s.uri().getHost(), "host: got " + s.uri().getHost() + ", want cache.example");
        assertEquals(8080, s.uri().getPort(), "port: got " + s.uri().getPort() + ", want 8080");
    }

    @Test
    void parse_httpsUrl_isRemote() {
        StoreSpec s = StoreSpec.parse("https://cache.example/");
        assertSpec(s, "https://cache.example/", false);
        assertEquals("https", s.scheme(), "scheme: got " + s.scheme() + ", want https");
        assertFalse(s.isLocal(), "isLocal of an https: store: got true, want false");
    }

    @Test
    void parse_upperCaseScheme_isLowercased() {
        StoreSpec h = StoreSpec.parse("HTTP://cache.example");
        assertEquals("http", h.scheme(), "scheme of HTTP://: got " + h.scheme() + ", want http");
        StoreSpec l = StoreSpec.parse("H2:/x");
        assertEquals("h2", l.scheme(), "scheme of H2:: got " + l.scheme() + ", want h2");
        assertTrue(l.isLocal(), "isLocal of H2:/x: got false, want true");
    }

    @Test
    void parse_pluginScheme_isKeptForItsProvider() {
        StoreSpec s = StoreSpec.parse("s3://bucket/prefix");
        assertSpec(s, "s3://bucket/prefix", false);
        assertEquals("s3", s.scheme(), "scheme: got " + s.scheme() + ", want s3");
        assertFalse(s.isLocal(), "isLocal of an s3: store: got true, want false");
    }

    @ParameterizedTest
    @ValueSource(strings = {"readonly:h2:/x", "READONLY:h2:/x", "ReadOnly:/x", "readonly:readonly:/x",
        "Readonly:READONLY:readonly:h2:/x", "  readonly:/x  "})
    void parse_readonlyPrefix_anyCaseAndRepeated_isReadOnly(String text) {
        StoreSpec s = StoreSpec.parse(text);
        assertSpec(s, "h2:/x", true);
        assertEquals("readonly:h2:/x", s.toString(), "toString: got " + s + ", want readonly:h2:/x");
        assertEquals(text, s.text(), "text: got " + s.text() + ", want the value as given");
    }

    @Test
    void parse_readonlyRemote_isReadOnly() {
        StoreSpec s = StoreSpec.parse("readonly:https://cache.example/ro");
        assertSpec(s, "https://cache.example/ro", true);
        assertFalse(s.isLocal(), "isLocal: got true, want false");
    }

    @Test
    void toString_withoutReadonly_isTheUri() {
        StoreSpec s = StoreSpec.parse("/var/cache/x");
        assertEquals("h2:/var/cache/x", s.toString(), "toString: got " + s + ", want h2:/var/cache/x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "readonly:", "READONLY:readonly:"})
    void parse_empty_isRefusedAsEmpty(String text) {
        assertMessageHas(refused(text), "\"" + text + "\"", "empty", "want h2:PATH");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cache", "cache dir", "1http://host", ":x", "readonly:cache"})
    void parse_noScheme_isRefusedSayingSo(String text) {
        assertMessageHas(refused(text), "\"" + text + "\"", "no scheme", "want h2:PATH", "readonly:");
    }

    @ParameterizedTest
    @CsvSource({"h2:, h2", "HTTP:, http", "readonly:s3:, s3"})
    void parse_nothingAfterScheme_isRefusedNamingTheScheme(String text, String scheme) {
        assertMessageHas(refused(text), "\"" + text + "\"", "nothing after " + scheme + ":", "want h2:PATH");
    }

    @Test
    void parse_malformedUrl_isRefusedWithTheParsersWords() {
        IllegalArgumentException e = refused("http://[::1");
        assertMessageHas(e, "\"http://[::1\"");
        assertTrue(e.getCause() instanceof java.net.URISyntaxException,
                "cause: got " + e.getCause() + ", want the URISyntaxException");
    }

    @Test
    void parseList_commasAndBlanks_keepsTheValuesInOrder() {
        List<StoreSpec> specs = StoreSpec.parseList("h2:/near, http://cache.example:8080 ,,  , readonly:/seed,");
        List<String> got = specs.stream().map(StoreSpec::toString).toList();
        List<String> want = List.of("h2:/near", "http://cache.example:8080", "readonly:h2:/seed");
        assertEquals(want, got, "specs: got " + got + ", want " + want);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ",", " , ,"})
    void parseList_nothingButBlanks_isEmpty(String list) {
        List<StoreSpec> got = StoreSpec.parseList(list);
        assertTrue(got.isEmpty(), "specs of \"" + list + "\": got " + got + ", want none");
    }

    @Test
    void parseList_badValue_isRefusedNamingIt() {
        assertMessageHas(assertThrows(IllegalArgumentException.class, () -> StoreSpec.parseList("/ok,nonsense")),
                "\"nonsense\"", "no scheme");
    }

    @Test
    void isLocal_onlyForH2() {
        assertTrue(StoreSpec.parse("h2:/x").isLocal(), "isLocal of h2:/x: got false, want true");
        assertTrue(StoreSpec.parse("readonly:/x").isLocal(), "isLocal of readonly:/x: got false, want true");
        assertFalse(StoreSpec.parse("http://h").isLocal(), "isLocal of http://h: got true, want false");
        assertFalse(StoreSpec.parse("file:/x").isLocal(), "isLocal of file:/x: got true, want false");
    }
}
