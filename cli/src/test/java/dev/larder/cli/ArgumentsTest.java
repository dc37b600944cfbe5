package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.h2.TrimSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Sizes, durations and trim budgets as written on command lines and in the environment. */
class ArgumentsTest {
    @Test
    void byteSize_parse_binaryUnits() {
        assertEquals(1000, ByteSize.parse("1000", "x"));
        assertEquals(512L << 10, ByteSize.parse("512KiB", "x"));
        assertEquals(5L << 30, ByteSize.parse("5G", "x"));
        assertEquals(3L << 19, ByteSize.parse("1.5MiB", "x"));
        assertEquals(2L << 40, ByteSize.parse("2tb", "x"));
    }

    @Test
    void byteSize_parse_rejectsNonsenseNamingTheFlag() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("lots", "--max-size"));
        assertTrue(e.getMessage().startsWith("--max-size: not a size: lots"), e.getMessage());
    }

    @Test
    void byteSize_format_readable() {
        assertEquals("12 bytes", ByteSize.format(12));
        assertEquals("1.5 KiB", ByteSize.format(1536));
        assertEquals("340 MiB", ByteSize.format(340L << 20));
    }

    @Test
    void durationText_parseAndFormat() {
        assertEquals(Duration.ofDays(30), DurationText.parse("30d", "x"));
        assertEquals(Duration.ofDays(14), DurationText.parse("2w", "x"));
        assertEquals(Duration.ofMinutes(90), DurationText.parse("90m", "x"));
        assertThrows(IllegalArgumentException.class, () -> DurationText.parse("30", "--max-age"));
        assertEquals("3d 4h", DurationText.format(Duration.ofHours(76)));
        assertEquals("12m", DurationText.format(Duration.ofMinutes(12)));
    }

    @Test
    void trimOptions_flagsWinOverEnvironment() {
        Optional<TrimSettings> p = TrimOptions.settings("1GiB", null, false,
                Map.of("LARDER_MAX_SIZE", "5GiB", "LARDER_MAX_AGE", "30d"));
        assertEquals(1L << 30, p.orElseThrow().maxBytes().getAsLong());
        assertEquals(Optional.of(Duration.ofDays(30)), p.get().maxAge());
    }

    @Test
    void trimOptions_nothingGiven_isEmpty() {
        assertTrue(TrimOptions.settings(null, null, false, Map.of()).isEmpty());
        assertTrue(TrimOptions.settings(null, null, false, Map.of("LARDER_MAX_SIZE", " ")).isEmpty());
    }

    @Test
    void trimOptions_badEnvironment_namesTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrimOptions.settings(null, null, false, Map.of("LARDER_MAX_AGE", "forever")));
        assertTrue(e.getMessage().startsWith("LARDER_MAX_AGE: not a duration"), e.getMessage());
    }
}
