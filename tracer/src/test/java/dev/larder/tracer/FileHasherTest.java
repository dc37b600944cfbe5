package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stat-keyed hash cache: content decides, whatever the timestamps say. */
class FileHasherTest {
    @TempDir
    Path dir;

    private Path oldFile(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        // Older than the racy window: remembered across runs.
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(3600)));
        return f;
    }

    @Test
    void hash_isTheContentsSha256() throws IOException {
        Path f = oldFile("a", "abc");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                FileHasher.open(Optional.empty()).hash(f).toString());
    }

    @Test
    void hash_unchangedStat_isNotReadAgain() throws IOException {
        Path f = oldFile("a", "abc");
        FileHasher h = FileHasher.open(Optional.empty());
        h.hash(f);
        h.hash(f);
        assertEquals(1, h.filesHashed(), "got " + h.filesHashed() + " reads, want 1");
    }

    @Test
    void hash_editWithTheOldMtimeRestored_isSeen() throws IOException {
        Path f = oldFile("a", "abc");
        FileTime old = Files.getLastModifiedTime(f);
        FileHasher h = FileHasher.open(Optional.empty());
        OutputId before = h.hash(f);
        Files.writeString(f, "abd");
        Files.setLastModifiedTime(f, old);
        assertNotEquals(before, h.hash(f), "an edit with the mtime put back must change the hash (ctime moved)");
    }

    @Test
    void save_thenOpen_remembersAcrossRuns() throws IOException {
        Path f = oldFile("a", "abc");
        Path cache = dir.resolve("cache/hashes");
        // Ten seconds on: the file's ctime (moved by the test's write) is out of the racy window.
        InstantSource later = InstantSource.fixed(Instant.now().plusSeconds(10));
        FileHasher first = FileHasher.open(Optional.of(cache), later);
        OutputId sha = first.hash(f);
        first.save();
        FileHasher second = FileHasher.open(Optional.of(cache), later);
        assertEquals(sha, second.hash(f));
        assertEquals(0, second.filesHashed(), "got " + second.filesHashed() + " reads in the second run, want 0");
    }

    @Test
    void save_racyFile_isNotRemembered() throws IOException {
        Path f = dir.resolve("fresh");
        Files.writeString(f, "just written");
        Path cache = dir.resolve("hashes");
        // The clock reads the moment of the write: the file changed within the racy window.
        FileHasher first = FileHasher.open(Optional.of(cache), clockAt(newestNanos(f)));
        first.hash(f);
        first.save();
        FileHasher second = FileHasher.open(Optional.of(cache));
        second.hash(f);
        assertEquals(1, second.filesHashed(), "a file changed within the racy window must be read again");
    }

    @Test
    void open_damagedCacheFile_startsEmpty() throws IOException {
        Path f = oldFile("a", "abc");
        Path cache = dir.resolve("hashes");
        Files.write(cache, new byte[] {0x4c, 0x52, 0x48, 0x31, 0, 0, 0, 9, 1, 2});
        FileHasher h = FileHasher.open(Optional.of(cache));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h.hash(f).toString());
    }

    @Test
    void save_fileSettledExactly200msBeforeTheClock_isRemembered() throws IOException {
        assertEquals(0, rereadsAfterSaveWithClockAt(200_000_000L), "a file 200 ms older than the clock was read again");
    }

    @Test
    void save_fileChangedJustUnder200msBeforeTheClock_isNotRemembered() throws IOException {
        assertEquals(1, rereadsAfterSaveWithClockAt(199_999_999L),
                "a file changed 199.999999 ms before the clock was remembered");
    }

    @Test
    void settled_timestampWithSubSecondPart_needs200ms() {
        long newest = 1_700_000_000_123_456_789L;
        assertFalse(FileHasher.settled(newest, instant(newest + 199_999_999L)), "settled after 199.999999 ms");
        assertTrue(FileHasher.settled(newest, instant(newest + 200_000_000L)), "not settled after 200 ms");
    }

    @Test
    void settled_timestampWithoutSubSecondPart_needs2s() {
        long newest = 1_700_000_000_000_000_000L;
        assertFalse(FileHasher.settled(newest, instant(newest + 200_000_000L)), "a coarse timestamp settled after 200 ms");
        assertFalse(FileHasher.settled(newest, instant(newest + 1_999_999_999L)), "settled after 1.999999999 s");
        assertTrue(FileHasher.settled(newest, instant(newest + 2_000_000_000L)), "not settled after 2 s");
    }

    /** Hashes a fresh file with the clock {@code afterNanos} past its newest timestamp, saves, and counts a second run's reads. */
    private long rereadsAfterSaveWithClockAt(long afterNanos) throws IOException {
        Path f = dir.resolve("edge");
        Files.writeString(f, "edge");
        long newest = newestNanos(f);
        assumeTrue(newest % 1_000_000_000L != 0, "the file system's timestamps have no sub-second part");
        Path cache = dir.resolve("edge-hashes");
        FileHasher first = FileHasher.open(Optional.of(cache), clockAt(newest + afterNanos));
        first.hash(f);
        first.save();
        FileHasher second = FileHasher.open(Optional.of(cache), clockAt(newest + afterNanos));
        second.hash(f);
        return second.filesHashed();
    }

    private static long newestNanos(Path f) throws IOException {
        Map<String, Object> a = Files.readAttributes(f, "unix:lastModifiedTime,ctime");
        return Math.max(((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
                ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
    }

    private static InstantSource clockAt(long nanos) {
        return InstantSource.fixed(instant(nanos));
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(0, nanos);
    }
}
