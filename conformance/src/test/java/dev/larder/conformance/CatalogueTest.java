package dev.larder.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.OutputId;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CatalogueTest {
    private static final Comparator<String> BY_ID = Comparator
            .comparing((String id) -> Integer.parseInt(id.substring(0, id.indexOf('.'))))
            .thenComparing(id -> Integer.parseInt(id.substring(id.indexOf('.') + 1, id.indexOf('/'))))
            .thenComparing(id -> Integer.parseInt(id.substring(id.indexOf('/') + 1)));

    @Test
    void catalogue_idsUniqueAndInOrder() {
        List<String> ids = ConformanceKit.catalogue().stream().map(Check::id).toList();
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(BY_ID);
        assertEquals(sorted, ids);
        assertEquals(ids.size(), new HashSet<>(ids).size());
    }

    @Test
    void catalogue_prerequisitesComeEarlierAndExist() {
        Set<String> seen = new HashSet<>();
        for (Check c : ConformanceKit.catalogue()) {
            for (String req : c.requires()) {
                assertTrue(seen.contains(req), c.id() + " requires " + req + ", which does not run before it");
            }
            seen.add(c.id());
        }
    }

    @Test
    void catalogue_everyCheckHasASentenceAndATitle() {
        for (Check c : ConformanceKit.catalogue()) {
            assertTrue(c.requirement().endsWith("."), c.id() + ": " + c.requirement());
            assertTrue(c.title().length() <= 70 && Character.isLowerCase(c.title().charAt(0))
                    || Character.isDigit(c.title().charAt(0)) || c.title().startsWith("KnownCommands")
                    || c.title().startsWith("DiskPaths"), c.id() + ": " + c.title());
        }
    }

    @Test
    void selects_onlyPrefixes() {
        Settings s = Settings.of(List.of("x")).withOnly(List.of("4.", "6.1/2"));
        List<String> ids = ConformanceKit.selected(s).stream().map(Check::id).toList();
        assertTrue(ids.contains("4.1/1") && ids.contains("4.7/1") && ids.contains("6.1/2"), ids.toString());
        assertEquals(8, ids.size(), ids.toString());
    }

    @Test
    void settings_rejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Settings.of(List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> Settings.of(List.of("x")).withTimeout(java.time.Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Settings.of(List.of("x")).withLargeBodySize(0));
    }

    @Test
    void patternBody_sameBytesEveryTime_exactSize() throws Exception {
        PatternBody b = new PatternBody(1_000_003, "seed");
        byte[] one;
        try (InputStream in = b.open()) {
            one = in.readAllBytes();
        }
        assertEquals(1_000_003, one.length);
        assertEquals(OutputId.of(one), b.outputId());
        assertTrue(new String(one, 0, 60, java.nio.charset.StandardCharsets.US_ASCII)
                .startsWith("larder conformance seed line 0000000001\n"));
    }
}
