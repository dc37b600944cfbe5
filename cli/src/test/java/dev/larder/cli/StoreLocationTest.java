package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoreLocationTest {
    private static final String HOME = "/home/dev";

    @Test
    void resolve_dirOption_winsOverEverything() {
        Path got = StoreLocation.resolve(Path.of("/opt/cache"),
                Map.of("LARDER_DIR", "/x", "XDG_CACHE_HOME", "/y"), HOME);
        assertEquals(Path.of("/opt/cache"), got);
    }

    @Test
    void resolve_relativeDirOption_isMadeAbsolute() {
        Path got = StoreLocation.resolve(Path.of("rel/../store"), Map.of(), HOME);
        assertEquals(Path.of("").toAbsolutePath().resolve("store"), got);
    }

    @Test
    void resolve_larderDir_winsOverXdg() {
        assertEquals(Path.of("/x"), StoreLocation.resolve(null,
                Map.of("LARDER_DIR", "/x", "XDG_CACHE_HOME", "/y"), HOME));
    }

    @Test
    void resolve_emptyLarderDir_isIgnored() {
        assertEquals(Path.of("/y/larder"), StoreLocation.resolve(null,
                Map.of("LARDER_DIR", "", "XDG_CACHE_HOME", "/y"), HOME));
    }

    @Test
    void resolve_xdgCacheHome_getsLarderSubdirectory() {
        assertEquals(Path.of("/y/larder"), StoreLocation.resolve(null, Map.of("XDG_CACHE_HOME", "/y"), HOME));
    }

    @Test
    void resolve_relativeXdgCacheHome_isIgnoredAsTheSpecSays() {
        assertEquals(Path.of(HOME, ".cache", "larder"),
                StoreLocation.resolve(null, Map.of("XDG_CACHE_HOME", "relative"), HOME));
    }

    @Test
    void resolve_nothingSet_usesHomeCache() {
        assertEquals(Path.of(HOME, ".cache", "larder"), StoreLocation.resolve(null, Map.of(), HOME));
    }
}
