package dev.larder.storage.h2;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.LocalStoreFiles;
import dev.larder.storage.SessionRecord;
import dev.larder.storage.TestClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trim, stats and verify of the local store, on real H2 files and blobs. */
class UpkeepTest {
    private final TestClock clock = new TestClock(Instant.parse("2031-02-03T04:05:06Z"));
    @TempDir
    Path dir;
    private LocalStore store;

    private LocalStore store() throws IOException {
        if (store == null) {
            store = LocalStore.open(dir, clock);
        }
        return store;
    }

    @AfterEach
    void close() throws IOException {
        if (store != null) {
            store.close();
        }
    }

    private static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    /** A body of {@code size} bytes, distinct per {@code name}. */
    private static byte[] body(String name, int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'x');
        byte[] tag = name.getBytes(UTF_8);
        System.arraycopy(tag, 0, b, 0, Math.min(tag.length, size));
        return b;
    }

    private Entry put(String action, byte[] body) throws IOException {
        return store().put(action(action), Digest.sha256(body), body.length, new ByteArrayInputStream(body));
    }

    private boolean has(String action) throws IOException {
        return store().get(action(action)).isPresent();
    }

    private static TrimSettings maxBytes(long n) {
        return new TrimSettings(OptionalLong.of(n), Optional.empty(), false);
    }

    @Test
    void trim_maxSize_removesLeastRecentlyUsedDownToTheBudget() throws IOException {
        put("a", body("a", 100));
        clock.advance(Duration.ofMinutes(1));
        put("b", body("b", 100));
        clock.advance(Duration.ofMinutes(1));
        put("c", body("c", 100));
        clock.advance(Duration.ofHours(2));
        TrimResult r = store().trim(maxBytes(150));
        assertEquals(2, r.entriesRemoved(), r.toString());
        assertEquals(200, r.bytesRemoved(), r.toString());
        assertEquals(100, r.bytesLeft(), r.toString());
        assertTrue(r.withinBudget(), r.toString());
        assertFalse(has("a"));
        assertFalse(has("b"));
        assertTrue(has("c"));
    }

    @Test
    void trim_getRefreshesLastUse_soTheUsedEntryStays() throws IOException {
        put("old-but-used", body("u", 100));
        clock.advance(Duration.ofMinutes(1));
        put("newer-unused", body("n", 100));
        clock.advance(Duration.ofHours(2));
        assertTrue(has("old-but-used"));
        clock.advance(Duration.ofHours(2));
        store().trim(maxBytes(100));
        assertTrue(has("old-but-used"));
        assertFalse(has("newer-unused"));
    }

    @Test
    void trim_entriesUsedWithinTheHour_areNeverRemoved() throws IOException {
        Entry e = put("a", body("a", 100));
        clock.advance(Duration.ofMinutes(59));
        TrimResult r = store().trim(maxBytes(0));
        assertEquals(0, r.entriesRemoved());
        assertFalse(r.withinBudget(), "within budget with a protected entry over it: " + r);
        assertTrue(Files.exists(e.path()));
        assertTrue(has("a"));
    }

    @Test
    void trim_sharedBlob_goesOnlyWithItsLastEntry() throws IOException {
        byte[] shared = body("shared", 100);
        Entry first = put("first", shared);
        clock.advance(Duration.ofMinutes(1));
        put("second", shared);
        clock.advance(Duration.ofMinutes(1));
        put("third", body("third", 100));
        clock.advance(Duration.ofHours(2));
        TrimResult r = store().trim(new TrimSettings(OptionalLong.empty(),
                Optional.of(Duration.ofHours(2).plusSeconds(90)), false));
        assertEquals(1, r.entriesRemoved(), r.toString());
        assertEquals(0, r.blobsRemoved(), r.toString());
        assertTrue(Files.exists(first.path()), "blob still named by another entry: got deleted");
        // (no get here: it would refresh "second" and protect it)
        r = store().trim(maxBytes(100));
        assertEquals(1, r.entriesRemoved(), r.toString());
        assertEquals(1, r.blobsRemoved(), r.toString());
        assertFalse(Files.exists(first.path()), "blob no entry names: got kept");
        assertFalse(has("second"));
        assertTrue(has("third"));
    }

    @Test
    void trim_maxAge_removesEntriesUnusedForLonger() throws IOException {
        put("a", body("a", 10));
        clock.advance(Duration.ofDays(3));
        put("b", body("b", 10));
        clock.advance(Duration.ofDays(1));
        TrimResult r = store().trim(new TrimSettings(OptionalLong.empty(), Optional.of(Duration.ofDays(2)), false));
        assertEquals(1, r.entriesRemoved());
        assertFalse(has("a"));
        assertTrue(has("b"));
    }

    @Test
    void trim_dryRun_reportsWithoutRemoving() throws IOException {
        Entry a = put("a", body("a", 100));
        put("b", body("b", 100));
        Entry replaced = put("c", body("c before", 100));
        put("c", body("c after", 100));
        clock.advance(Duration.ofHours(2));
        // 400 bytes: the replaced output's 100 go first, then one entry of 100.
        TrimResult r = store().trim(new TrimSettings(OptionalLong.of(200), Optional.empty(), true));
        assertEquals(1, r.entriesRemoved(), r.toString());
        assertEquals(2, r.blobsRemoved(), r.toString());
        assertEquals(200, r.bytesRemoved(), r.toString());
        assertEquals(200, r.bytesLeft(), r.toString());
        assertTrue(r.dryRun());
        assertTrue(Files.exists(a.path()));
        assertTrue(Files.exists(replaced.path()), "a dry run removed a replaced output");
        assertTrue(has("a") && has("b"));
        assertTrue(store().stats(1).lastTrim().isEmpty(), "a dry run was recorded as the last trim");
    }

    @Test
    void stats_countsLargestSessionsAndLastTrim() throws IOException {
        put("small", body("s", 10));
        put("big", body("b", 1000));
        put("same-as-big", body("b", 1000));
        store().recordSession(new SessionRecord(clock.instant(), 10, 7, 3, 2, 1010, 0));
        store().recordSession(new SessionRecord(clock.instant(), 10, 9, 1, 0, 0, 1));
        clock.advance(Duration.ofHours(2));
        store().trim(maxBytes(5000));
        StoreStats s = store().stats(2);
        assertEquals(3, s.entries());
        assertEquals(2, s.blobs());
        assertEquals(1010, s.bytes());
        assertEquals(2, s.recent().sessions());
        assertEquals(Optional.of(0.8), s.recent().hitRate());
        assertEquals(1, s.recent().errors());
        assertEquals(2, s.largest().size());
        assertEquals(1000, s.largest().get(0).size());
        assertEquals(clock.instant(), s.lastTrim().orElseThrow().at());
        assertEquals(0, s.tempFiles());
    }

    @Test
    void verify_cleanStore_isClean() throws IOException {
        put("a", body("a", 100));
        put("b", body("b", 200));
        VerifyResult r = store().verify(false);
        assertTrue(r.clean(), r.toString());
        assertEquals(2, r.blobsChecked());
        assertEquals(300, r.bytesChecked());
    }

    @Test
    void verify_flippedByte_isReportedAndRepaired() throws IOException {
        byte[] body = body("a", 100);
        Entry e = put("a", body);
        put("b", body("b", 100));
        body[50] ^= 1;
        Files.write(e.path(), body);
        VerifyResult r = store().verify(false);
        assertEquals(List.of(VerifyResult.Kind.WRONG_HASH), r.problems().stream().map(VerifyResult.Problem::kind).toList());
        assertEquals(e.path(), r.problems().get(0).path());
        assertTrue(Files.exists(e.path()), "verify without --repair changed the store");
        VerifyResult repaired = store().verify(true);
        assertTrue(repaired.repaired());
        assertFalse(Files.exists(e.path()), "damaged blob after repair: got kept");
        assertFalse(has("a"));
        assertTrue(has("b"));
        assertTrue(store().verify(false).clean(), "verify after repair");
    }

    @Test
    void verify_missingAndTruncatedBlobs_areReported() throws IOException {
        Entry gone = put("gone", body("gone", 100));
        Entry cut = put("cut", body("cut", 100));
        Files.delete(gone.path());
        Files.write(cut.path(), body("cut", 40));
        List<VerifyResult.Kind> kinds = store().verify(true).problems().stream()
                .map(VerifyResult.Problem::kind).sorted().toList();
        assertEquals(List.of(VerifyResult.Kind.MISSING_BLOB, VerifyResult.Kind.WRONG_SIZE), kinds);
        assertTrue(store().verify(false).clean());
    }

    @Test
    void verify_orphansAndStrayFiles_reportedOldOnesRemovedByRepair() throws IOException {
        put("a", body("a", 10));
        byte[] orphanBody = body("orphan", 10);
        String hex = Digest.sha256(orphanBody).toString();
        Path orphan = Files.createDirectories(dir.resolve("blobs").resolve(hex.substring(0, 2))).resolve(hex);
        Files.write(orphan, orphanBody);
        Files.setLastModifiedTime(orphan, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path fresh = Files.createDirectories(dir.resolve("blobs").resolve("ff")).resolve("ff" + hex.substring(2));
        Files.write(fresh, orphanBody);
        Files.setLastModifiedTime(fresh, FileTime.from(Instant.now()));
        Path junk = Files.writeString(Files.createDirectories(dir.resolve("blobs").resolve("ab")).resolve("notes.txt"),
                "junk");
        Path temp = Files.writeString(dir.resolve("tmp").resolve("put-1-abc.tmp"), "left over");
        Files.setLastModifiedTime(temp, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        VerifyResult r = store().verify(true);
        assertEquals(3, r.problems().size(), r.toString());
        assertFalse(Files.exists(orphan));
        assertFalse(Files.exists(junk));
        assertFalse(Files.exists(temp));
        assertTrue(Files.exists(fresh), "an unnamed blob younger than an hour may be a put in progress: got removed");
        assertTrue(has("a"));
    }

    @Test
    void put_replacingAnOldOutput_removesItsBlobUnlessUsedWithinTheHour() throws IOException {
        Entry first = put("a", body("first", 100));
        clock.advance(Duration.ofHours(2));
        put("a", body("second", 100));
        assertFalse(Files.exists(first.path()), "the replaced output, unused for two hours: got kept");
        Entry second = store().get(action("a")).orElseThrow();
        put("a", body("third", 100));
        assertTrue(Files.exists(second.path()), "the replaced output, used just now: got deleted");
    }

    @Test
    void rePut_200Times_statsCountTheReplacedOutputsAndTrimRemovesThemAfterTheHour() throws IOException {
        int size = 4096;
        Entry last = null;
        for (int i = 0; i < 200; i++) {
            last = put("manifest", body("version " + i, size));
            clock.advance(Duration.ofSeconds(10)); // all 200 within the protected hour
        }
        StoreStats s = store().stats(0);
        assertEquals(1, s.entries(), s.toString());
        assertEquals(size, s.bytes(), s.toString());
        assertEquals(199, s.unnamed(), "replaced outputs: " + s);
        assertEquals(199L * size, s.unnamedBytes(), s.toString());
        assertEquals(200L * size, s.totalBytes(), s.toString());
        assertEquals(200, LocalStoreFiles.under(dir.resolve("blobs")).size(), "blob files before the hour");

        TrimResult early = store().trim(maxBytes(0));
        assertEquals(0, early.blobsRemoved(), "a trim within the hour removed replaced outputs: " + early);
        assertEquals(200L * size, early.bytesLeft(), "bytes left counts the replaced outputs: " + early);
        assertTrue(store().verify(false).clean(), "verify with replaced outputs in their hour");

        clock.advance(Duration.ofHours(1));
        VerifyResult v = store().verify(false);
        assertTrue(v.clean(), "verify an hour later, before a trim: " + v);
        TrimResult r = store().trim(new TrimSettings(OptionalLong.empty(), Optional.of(Duration.ofDays(30)), false));
        assertEquals(199, r.blobsRemoved(), r.toString());
        assertEquals(199L * size, r.bytesRemoved(), r.toString());
        assertEquals(0, r.entriesRemoved(), r.toString());
        assertEquals(size, r.bytesLeft(), r.toString());
        assertEquals(java.util.Set.of(last.path()), LocalStoreFiles.under(dir.resolve("blobs")), "blob files after the trim");
        s = store().stats(0);
        assertEquals(0, s.unnamed(), s.toString());
        assertEquals(size, s.totalBytes(), s.toString());
        assertTrue(store().verify(false).clean(), "verify after the trim");
        assertTrue(has("manifest"));
    }

    @Test
    void trim_replacedOutputNamedAgainByAnotherAction_stays() throws IOException {
        byte[] first = body("first", 100);
        Entry e = put("a", first);
        put("a", body("second", 100));
        put("b", first); // the replaced output is some other action's now
        clock.advance(Duration.ofMinutes(30));
        assertTrue(has("b"));
        clock.advance(Duration.ofMinutes(31));
        TrimResult r = store().trim(new TrimSettings(OptionalLong.empty(), Optional.of(Duration.ofDays(30)), false));
        assertEquals(0, r.blobsRemoved(), r.toString());
        assertTrue(Files.exists(e.path()), "an output named again: got removed");
        assertEquals(0, store().stats(0).unnamed());
        assertTrue(has("b"));
    }

    @Test
    void trim_uploadNoRecordNamed_isRemovedAfterTheHour() throws IOException {
        byte[] body = body("uploaded alone", 100);
        Digest out = Digest.sha256(body);
        Path blob = store().putBlob(out, body.length, new ByteArrayInputStream(body));
        assertEquals(1, store().stats(0).unnamed());
        TrimResult early = store().trim(maxBytes(0));
        assertEquals(0, early.blobsRemoved(), early.toString());
        clock.advance(Duration.ofMinutes(61));
        TrimResult r = store().trim(maxBytes(1000));
        assertEquals(1, r.blobsRemoved(), r.toString());
        assertFalse(Files.exists(blob), "an upload no record named for an hour: got kept");
        assertTrue(store().verify(false).clean());
    }

    @Test
    void open_indexServedByAnOlderOwner_addsTheColumnItLacks() throws Exception {
        LocalStore.open(dir, clock).close();
        // The owner that stays (its server) made the tables before there was a column for unnamed blobs.
        try (java.sql.Connection c = IndexClient.connect(dir.toAbsolutePath());
                java.sql.Statement st = c.createStatement()) {
            st.execute("ALTER TABLE blobs DROP COLUMN unnamed_nanos");
        }
        put("a", body("first", 100));
        put("a", body("second", 100));
        assertEquals(1, store().stats(0).unnamed(), "the replaced output");
    }
}
