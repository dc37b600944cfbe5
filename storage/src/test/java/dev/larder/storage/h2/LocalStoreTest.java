package dev.larder.storage.h2;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.LocalStoreFiles;
import dev.larder.storage.Storage;
import dev.larder.storage.StorageContract;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The storage contract for the local store, and the local store's own layout promises. */
class LocalStoreTest extends StorageContract {
    @Override
    protected Storage open(Path dir) throws IOException {
        return LocalStore.open(dir, clock);
    }

    @Override
    protected Set<Path> bodyFiles(Path dir) throws IOException {
        return LocalStoreFiles.of(dir);
    }

    @Test
    void put_sameBodyForTwoActions_storesOneBlob() throws IOException {
        Storage s = store();
        byte[] body = "shared by two actions".getBytes(UTF_8);
        Entry a = put(s, action("a"), body);
        Entry b = put(s, action("b"), body);
        assertEquals(a.path(), b.path(), "blob of the second action");
        Set<Path> blobs = LocalStoreFiles.under(dir.resolve("blobs"));
        assertEquals(Set.of(a.path()), blobs, "blob files");
        assertHolds(hit(s, action("a")), body);
        assertHolds(hit(s, action("b")), body);
    }

    @Test
    void put_blobPath_isFannedOutByTheFirstTwoHexDigits() throws IOException {
        byte[] body = "laid out by content".getBytes(UTF_8);
        Entry e = put(store(), action("a"), body);
        String hex = Digest.sha256(body).toString();
        assertEquals(dir.toAbsolutePath().resolve("blobs").resolve(hex.substring(0, 2)).resolve(hex), e.path(),
                "blob path");
        assertTrue(e.path().getFileName().toString().matches("[0-9a-f]{64}"),
                "blob name: got " + e.path().getFileName() + ", want 64 lowercase hex digits and no extension");
    }

    @Test
    void get_blobDeleted_isEmptyAndForgetsTheEntry() throws IOException {
        Storage s = store();
        byte[] body = "soon gone".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        Files.delete(e.path());
        Optional<Entry> got = s.get(action("a"));
        assertTrue(got.isEmpty(), "get with the blob deleted: got " + got + ", want empty");
        // Putting the file back does not revive the entry: the index row is gone.
        Files.write(e.path(), body);
        got = s.get(action("a"));
        assertTrue(got.isEmpty(), "get after the blob came back: got " + got + ", want empty");
    }

    @Test
    void get_blobTruncated_isEmptyAndForgetsTheEntry() throws IOException {
        Storage s = store();
        byte[] body = "soon cut short".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        try (FileChannel ch = FileChannel.open(e.path(), StandardOpenOption.WRITE)) {
            ch.truncate(4);
        }
        Optional<Entry> got = s.get(action("a"));
        assertTrue(got.isEmpty(), "get with the blob truncated: got " + got + ", want empty");
        Files.write(e.path(), body);
        got = s.get(action("a"));
        assertTrue(got.isEmpty(), "get after the blob was mended: got " + got + ", want empty");
    }

    @Test
    void put_afterBlobTruncated_storesTheBlobAgain() throws IOException {
        Storage s = store();
        byte[] body = "stored twice".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        try (FileChannel ch = FileChannel.open(e.path(), StandardOpenOption.WRITE)) {
            ch.truncate(1);
        }
        put(s, action("b"), body);
        assertHolds(hit(s, action("b")), body);
    }

    @Test
    void put_afterBlobCorruptedAtSameSize_repairsTheBlob() throws IOException {
        Storage s = store();
        byte[] body = "flipped and mended".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        byte[] damaged = body.clone();
        damaged[0] ^= 1;
        Files.write(e.path(), damaged);
        put(s, action("b"), body);
        assertHolds(hit(s, action("b")), body);
        assertHolds(hit(s, action("a")), body);
    }

    @Test
    void open_tempFiles_removesStaleOnesKeepsFreshOnes() throws IOException {
        Path temps = Files.createDirectories(dir.resolve("tmp"));
        Path stale = Files.writeString(temps.resolve("put-1.tmp"), "left by a process that died");
        Path fresh = Files.writeString(temps.resolve("put-2.tmp"), "another process is writing this");
        Instant now = Instant.now(); // file times are the real clock's
        Files.setLastModifiedTime(stale, FileTime.from(now.minus(Duration.ofMinutes(61))));
        Files.setLastModifiedTime(fresh, FileTime.from(now.minus(Duration.ofMinutes(59))));
        store();
        assertFalse(Files.exists(stale), "temp file 61 minutes old: got kept, want removed");
        assertTrue(Files.exists(fresh), "temp file 59 minutes old: got removed, want kept");
    }

    @Test
    void get_afterReopen_keepsNanosecondsOfPutTime() throws IOException {
        clock.advance(Duration.ofNanos(123_456));
        Instant putTime = clock.instant();
        Storage s = store();
        put(s, action("a"), "x".getBytes(UTF_8));
        s.close();
        assertEquals(putTime, hit(store(), action("a")).time(), "entry time after reopening");
    }

    @Test
    void get_blobByteFlippedAtSameSize_isMissAndDropsTheBlob() throws IOException {
        Storage s = store();
        byte[] body = "one bit flips on disk".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        put(s, action("b"), body);
        byte[] damaged = body.clone();
        damaged[5] ^= 0x10;
        Files.write(e.path(), damaged);
        Optional<Entry> got = s.get(action("a"));
        assertTrue(got.isEmpty(), "get of a blob with a flipped bit: got " + got + ", want empty");
        assertFalse(Files.exists(e.path()), "damaged blob: got kept, want deleted");
        got = s.get(action("b"));
        assertTrue(got.isEmpty(), "get of another action naming the damaged output: got " + got + ", want empty");
    }

    @Test
    void get_blobFlippedInAnotherProcessView_isCaughtAfterReopen() throws IOException {
        byte[] body = "damaged while no helper ran".getBytes(UTF_8);
        Storage s = store();
        Entry e = put(s, action("a"), body);
        assertHolds(hit(s, action("a")), body);
        s.close();
        byte[] damaged = body.clone();
        damaged[body.length - 1] ^= 0x01;
        Files.write(e.path(), damaged);
        Optional<Entry> got = store().get(action("a"));
        assertTrue(got.isEmpty(), "get after reopening, blob damaged meanwhile: got " + got + ", want empty");
    }

    /** Gets until the hit is served from the recent hits (its blob's stat has settled), at most 10 s. */
    private static void untilHot(Storage s, Digest action) throws IOException {
        assertTrue(within10s(() -> {
            assertTrue(s.get(action).isPresent(), "get while waiting for the hit to be hot");
            return ((H2Store) s).isHot(action);
        }), "the hit never became hot");
    }

    /** A condition on the store, checked again and again. */
    @FunctionalInterface
    private interface Condition {
        boolean holds() throws IOException;
    }

    /** Whether {@code c} comes to hold within 10 s (it is polled: no sleeping for a guessed time). */
    private static boolean within10s(Condition c) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Test
    void put_blobIsVerifiedInTheBackgroundOnceSettled_laterDamageStillCaught() throws IOException {
        H2Store s = (H2Store) store();
        byte[] body = "verified before its first get".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        Digest out = Digest.sha256(body);
        assertTrue(within10s(() -> s.verifiedStat(out).isPresent()),
                "the fresh blob was never verified in the background");
        byte[] damaged = body.clone();
        damaged[3] ^= 0x20;
        Files.write(e.path(), damaged);
        assertTrue(s.get(action("a")).isEmpty(), "a blob damaged after its background check: got served");
    }

    @Test
    void put_blobDamagedBeforeItSettles_isNeverRecordedAsVerified() throws IOException {
        H2Store s = (H2Store) store();
        byte[] body = "damaged right after the put".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        byte[] damaged = body.clone();
        damaged[0] ^= 0x01;
        Files.write(e.path(), damaged); // very likely within the put's clock tick
        Digest out = Digest.sha256(body);
        // The background check hashes it, finds it damaged, drops it.
        within10s(() -> !Files.exists(e.path()));
        assertTrue(s.verifiedStat(out).isEmpty(), "a damaged blob was recorded as verified");
        assertTrue(s.get(action("a")).isEmpty(), "a blob damaged before it settled: got served");
    }

    @Test
    void get_hotHit_blobFlippedAtSameSize_isMissAndDropsTheBlob() throws IOException {
        Storage s = store();
        byte[] body = "hot, then damaged".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        untilHot(s, action("a"));
        assertHolds(hit(s, action("a")), body);
        byte[] damaged = body.clone();
        damaged[2] ^= 0x04;
        Files.write(e.path(), damaged);
        Optional<Entry> got = s.get(action("a"));
        assertTrue(got.isEmpty(), "hot hit whose blob was damaged: got " + got + ", want empty");
        assertFalse(Files.exists(e.path()), "damaged blob: got kept, want deleted");
    }

    @Test
    void get_hotHit_rePutOfAnotherOutput_servesTheNewOne() throws IOException {
        Storage s = store();
        put(s, action("a"), "first".getBytes(UTF_8));
        untilHot(s, action("a"));
        put(s, action("a"), "second".getBytes(UTF_8));
        assertHolds(hit(s, action("a")), "second".getBytes(UTF_8));
    }

    @Test
    void get_hotHit_blobDeleted_isMiss() throws IOException {
        Storage s = store();
        Entry e = put(s, action("a"), "soon gone".getBytes(UTF_8));
        untilHot(s, action("a"));
        Files.delete(e.path());
        assertTrue(s.get(action("a")).isEmpty(), "hot hit whose blob was deleted: want a miss");
    }

    @Test
    void getIfHot_beforeAndAfterTheHitIsHot_isEmptyThenTheHit() throws IOException {
        Storage s = store();
        byte[] body = "answered at once".getBytes(UTF_8);
        put(s, action("a"), body);
        assertTrue(s.getIfHot(action("a")).isEmpty(), "getIfHot of a fresh put: want empty (not known at once)");
        assertTrue(s.getIfHot(action("b")).isEmpty(), "getIfHot of an unknown action: want empty");
        untilHot(s, action("a"));
        Optional<Entry> got = s.getIfHot(action("a"));
        assertTrue(got.isPresent(), "getIfHot of a hot hit: got empty, want the entry");
        assertEquals(s.get(action("a")), got, "getIfHot against get");
        assertHolds(got.get(), body);
    }

    @Test
    void getIfHot_blobFlippedAtSameSize_isEmptyAndGetDropsTheBlob() throws IOException {
        Storage s = store();
        byte[] body = "hot, then damaged".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        untilHot(s, action("a"));
        byte[] damaged = body.clone();
        damaged[2] ^= 0x04;
        Files.write(e.path(), damaged);
        Optional<Entry> got = s.getIfHot(action("a"));
        assertTrue(got.isEmpty(), "getIfHot whose blob was damaged: got " + got + ", want empty");
        assertTrue(s.get(action("a")).isEmpty(), "get after: want a miss");
        assertFalse(Files.exists(e.path()), "damaged blob: got kept, want deleted");
    }

    @Test
    void get_blobRewrittenWithSameBytes_isRehashedAndServed() throws IOException {
        Storage s = store();
        byte[] body = "rewritten, but right".getBytes(UTF_8);
        Entry e = put(s, action("a"), body);
        Files.write(e.path(), body);
        assertHolds(hit(s, action("a")), body);
        assertHolds(hit(s, action("a")), body);
    }

    @Test
    void open_tempOfAProcessThatIsGone_isRemovedAtOnce() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long alive = ProcessHandle.current().parent().orElseThrow().pid();
        Path temps = Files.createDirectories(dir.resolve("tmp"));
        Path orphan = Files.writeString(temps.resolve("put-" + gone.pid() + "-abc123.tmp"), "killed mid-put");
        Path busy = Files.writeString(temps.resolve("put-" + alive + "-def456.tmp"), "still being written");
        Instant now = Instant.now();
        Files.setLastModifiedTime(orphan, FileTime.from(now));
        Files.setLastModifiedTime(busy, FileTime.from(now));
        store();
        assertFalse(Files.exists(orphan), "fresh temp file of a process that is gone: got kept, want removed");
        assertTrue(Files.exists(busy), "fresh temp file of a live process: got removed, want kept");
    }

    @Test
    void putBlobThenLink_namesTheBlobAsTheActionsOutput() throws IOException {
        LocalStore s = (LocalStore) store();
        byte[] body = "uploaded first, named later".getBytes(UTF_8);
        Digest out = Digest.sha256(body);
        Path blob = s.putBlob(out, body.length, new java.io.ByteArrayInputStream(body));
        assertEquals(Optional.of(blob), s.blob(out));
        assertTrue(s.get(action("a")).isEmpty(), "an action before it is linked");
        assertTrue(s.link(action("a"), out, body.length));
        assertHolds(hit(s, action("a")), body);
    }

    @Test
    void link_blobMissingOrOfAnotherSize_isRefused() throws IOException {
        LocalStore s = (LocalStore) store();
        byte[] body = "twelve bytes".getBytes(UTF_8);
        Digest out = Digest.sha256(body);
        assertFalse(s.link(action("a"), out, body.length), "link to a blob never stored");
        s.putBlob(out, body.length, new java.io.ByteArrayInputStream(body));
        assertFalse(s.link(action("a"), out, body.length + 1), "link with the wrong size");
        assertTrue(s.get(action("a")).isEmpty());
    }

    @Test
    void blob_damaged_isEmptyAndRemoved() throws IOException {
        LocalStore s = (LocalStore) store();
        byte[] body = "to be damaged".getBytes(UTF_8);
        Digest out = Digest.sha256(body);
        Path blob = s.putBlob(out, body.length, new java.io.ByteArrayInputStream(body));
        byte[] damaged = body.clone();
        damaged[0] ^= 1;
        Files.write(blob, damaged);
        assertTrue(s.blob(out).isEmpty(), "a damaged blob: got served");
        assertFalse(Files.exists(blob));
        assertTrue(s.blob(Digest.sha256("never stored".getBytes(UTF_8))).isEmpty());
    }

    @Test
    void putBlob_wrongHash_throwsAndStoresNothing() throws IOException {
        LocalStore s = (LocalStore) store();
        byte[] body = "claims another id".getBytes(UTF_8);
        Digest claimed = Digest.sha256("something else".getBytes(UTF_8));
        org.junit.jupiter.api.Assertions.assertThrows(dev.larder.storage.BodyMismatchException.class,
                () -> s.putBlob(claimed, body.length, new java.io.ByteArrayInputStream(body)));
        assertTrue(s.blob(claimed).isEmpty());
        assertEquals(Set.of(), bodyFiles(dir));
    }

    @Test
    void exists_falseUntilAStoreIsMade_andAskingMakesNothing() throws IOException {
        assertFalse(LocalStore.exists(dir), "exists before any open: got true, want false");
        assertFalse(Files.exists(dir), "exists: got " + dir + " created, want nothing made");
        store();
        assertTrue(LocalStore.exists(dir), "exists after open: got false, want true");
    }

    @Test
    void clientDirectory_isTheStoreDirectory() throws IOException {
        LocalStore s = (LocalStore) store();
        assertEquals(Optional.of(s.root()), s.clientDirectory(), "client directory: got " + s.clientDirectory()
                + ", want the store's root " + s.root());
    }

    @Test
    void put_runAgainAfterTheIndexConnectionBroke_leavesNoTempLink() throws Exception {
        Storage s = store();
        put(s, action("a"), "first".getBytes(UTF_8));
        byte[] body = "second, placed twice".getBytes(UTF_8);
        String hex = Digest.sha256(body).toString();
        Path blob = dir.toAbsolutePath().resolve("blobs").resolve(hex.substring(0, 2)).resolve(hex);
        // Another client holds the row lock of the action's entry: the put places its blob, then
        // waits for the row, and the index server is killed under it (the connection breaks).
        java.sql.Connection holder = IndexClient.connect(dir.toAbsolutePath());
        holder.setAutoCommit(false);
        try (java.sql.PreparedStatement ps = holder.prepareStatement(
                "SELECT * FROM entries WHERE action = ? FOR UPDATE")) {
            ps.setBytes(1, action("a").bytes());
            ps.executeQuery().close();
        }
        java.util.concurrent.CompletableFuture<Entry> putting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return put(s, action("a"), body);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(within10s(() -> Files.exists(blob)), "the put never placed its blob");
        long pid = Long.parseLong(IndexClient.readAddress(dir.toAbsolutePath()).getProperty("pid").trim());
        ProcessHandle server = ProcessHandle.of(pid).orElseThrow();
        server.destroyForcibly();
        server.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        try {
            holder.close();
        } catch (java.sql.SQLException broken) {
            // its server is gone
        }
        assertHolds(putting.get(60, java.util.concurrent.TimeUnit.SECONDS), body);
        assertEquals(Set.of(), LocalStoreFiles.under(dir.resolve("tmp")), "files left in tmp/");
        assertHolds(hit(s, action("a")), body);
    }

    @Test
    void open_tempLinkOfAProcessThatIsGone_isRemoved() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path temps = Files.createDirectories(dir.resolve("tmp"));
        Path link = Files.writeString(temps.resolve("put-" + gone.pid() + "-abc123.tmp.link"), "left by a retried put");
        store();
        assertFalse(Files.exists(link), "temp link of a process that is gone: got kept, want removed");
    }
}
