package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
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
                FileHasher.open(Optional.empty()).hash(f));
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
        String before = h.hash(f);
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
        String sha = first.hash(f);
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
        FileHasher first = FileHasher.open(Optional.of(cache));
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
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h.hash(f));
    }
}
