package dev.larder.storage.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.TestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "too fresh to trust its stat" rule and the stat key (the same rule as tracer's FileHasher). */
class BlobStatTest {
    @TempDir
    Path dir;

    @Test
    void settled_subSecondTime_after200ms() {
        long newest = 10_123_000_000L;
        assertFalse(BlobStat.settled(newest, EpochNanos.toInstant(newest + 199_999_999)), "199.99 ms after");
        assertTrue(BlobStat.settled(newest, EpochNanos.toInstant(newest + 200_000_000)), "200 ms after");
    }

    @Test
    void settled_wholeSecondTime_after2s() {
        long newest = 10_000_000_000L;
        assertFalse(BlobStat.settled(newest, EpochNanos.toInstant(newest + 1_999_999_999)), "1.99 s after");
        assertTrue(BlobStat.settled(newest, EpochNanos.toInstant(newest + 2_000_000_000)), "2 s after");
    }

    @Test
    void of_judgedByTheInjectedClock_againstTheNewestOfMtimeAndCtime() throws IOException {
        Path f = Files.writeString(dir.resolve("blob"), "content");
        // An mtime set far back: only the ctime (now) may count.
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        long ctime = ((FileTime) Files.getAttribute(f, "unix:ctime")).to(TimeUnit.NANOSECONDS);
        Duration window = ctime % 1_000_000_000L == 0 ? BlobStat.SETTLED_COARSE : BlobStat.SETTLED;
        Instant changed = EpochNanos.toInstant(ctime);
        assertFalse(BlobStat.of(f, new TestClock(changed.plus(window).minusNanos(1))).settled(),
                "settled just inside the window after the ctime: got true, want false");
        assertTrue(BlobStat.of(f, new TestClock(changed.plus(window))).settled(),
                "settled at the end of the window: got false, want true");
    }

    @Test
    void of_key_namesDeviceInodeSizeAndBothTimes() throws IOException {
        Path f = Files.writeString(dir.resolve("blob"), "content");
        BlobStat s = BlobStat.of(f, new TestClock(Instant.EPOCH));
        String want = Files.getAttribute(f, "unix:dev") + ":" + Files.getAttribute(f, "unix:ino") + ":7:"
                + ((FileTime) Files.getAttribute(f, "unix:lastModifiedTime")).to(TimeUnit.NANOSECONDS) + ":"
                + ((FileTime) Files.getAttribute(f, "unix:ctime")).to(TimeUnit.NANOSECONDS);
        assertEquals(want, s.key(), "key");
        assertEquals(7, s.size(), "size");
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        assertNotEquals(s.key(), BlobStat.of(f, new TestClock(Instant.EPOCH)).key(), "key after a touch");
    }

    @Test
    void of_missingOrNotRegular_isNull() {
        assertNull(BlobStat.of(dir.resolve("none"), new TestClock(Instant.EPOCH)), "stat of a missing file");
        assertNull(BlobStat.of(dir, new TestClock(Instant.EPOCH)), "stat of a directory");
    }
}
