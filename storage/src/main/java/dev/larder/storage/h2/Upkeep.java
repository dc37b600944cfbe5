package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Trim, stats and verify of one {@link H2Store}. Each works in short steps on the index (see
 * {@link Index#withDb}), so the store keeps serving while they run, in this process and others;
 * blob files change only under the store's {@link BlobLocks}, as for puts.
 */
final class Upkeep {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    /** A blob file younger than this that no entry names may be a put between its rename and its row. */
    private static final Duration ORPHAN_GRACE = Duration.ofHours(1);
    private static final int BATCH = 500;
    /** The condition on a {@code blobs} row {@code b} of a blob that no entry names and trim is to remove. */
    private static final String UNNAMED = "b.unnamed_nanos IS NOT NULL "
            + "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.output = b.output)";
    /** Trim records kept; {@link #lastTrim} reads the newest. */
    private static final int TRIMS_KEPT = 100;

    private final Index index;
    private final BlobFiles files;
    private final BlobLocks locks;
    private final BlobCheck check;
    private final SessionRows sessions;
    private final InstantSource clock;

    /** Upkeep of the store made of these parts; {@code clock} gives trim's and a trim record's times. */
    Upkeep(Index index, BlobFiles files, BlobLocks locks, BlobCheck check, SessionRows sessions, InstantSource clock) {
        this.index = index;
        this.files = files;
        this.locks = locks;
        this.check = check;
        this.sessions = sessions;
        this.clock = clock;
    }

    // ---- trim ----

    /** One entry as trim sees it. */
    private record Candidate(Digest action, Digest output, long size, long lastUse) {
    }

    TrimResult trim(TrimSettings settings) throws IOException {
        Instant now = clock.instant();
        long protectFrom = EpochNanos.of(now.minus(TrimSettings.PROTECTED));
        long ageCutoff = settings.maxAge().map(a -> EpochNanos.of(now.minus(a))).orElse(Long.MIN_VALUE);
        long bytes = totalBytes();
        long budget = settings.maxBytes().orElse(Long.MAX_VALUE);
        long entriesRemoved = 0;
        long blobsRemoved = 0;
        long bytesRemoved = 0;
        // First the blobs no entry has named for the protected hour: replaced outputs, uploads
        // no record named. They only take space.
        Digest unnamedAfter = null;
        while (true) {
            List<Stored> batch = unnamedBefore(protectFrom, unnamedAfter);
            if (batch.isEmpty()) {
                break;
            }
            for (Stored u : batch) {
                unnamedAfter = u.output();
                if (settings.dryRun() || index.withDb("trim: remove unnamed blob", c -> Index.inTransaction(c,
                        () -> locks.removeIfUnnamedBefore(c, u.output(), protectFrom)))) {
                    blobsRemoved++;
                    bytesRemoved += u.size();
                }
            }
        }
        Candidate after = null;
        // Then entries, oldest first, a batch at a time, so memory stays small whatever the store's size.
        while (true) {
            List<Candidate> batch = oldest(after, protectFrom);
            if (batch.isEmpty()) {
                break;
            }
            boolean done = false;
            for (Candidate c : batch) {
                after = c;
                boolean tooOld = c.lastUse() < ageCutoff;
                boolean overBudget = bytes - bytesRemoved > budget;
                if (!tooOld && !overBudget) {
                    done = true;
                    break;
                }
                entriesRemoved++;
                long freed = settings.dryRun() ? dryRunFreed(c, batch) : removeEntry(c);
                if (freed >= 0) {
                    blobsRemoved++;
                    bytesRemoved += freed;
                }
            }
            if (done) {
                break;
            }
        }
        long entriesLeft = count("SELECT COUNT(*) FROM entries") - (settings.dryRun() ? entriesRemoved : 0);
        long bytesLeft = settings.dryRun() ? bytes - bytesRemoved : totalBytes();
        TrimResult r = new TrimResult(now, entriesRemoved, blobsRemoved, bytesRemoved, entriesLeft, bytesLeft,
                bytesLeft <= budget, settings.dryRun());
        if (!settings.dryRun()) {
            record(r);
            // What puts of dead processes left in tmp/ (a long-lived owner opens the store once).
            files.removeStaleTemps();
        }
        return r;
    }

    /**
     * The next entries after {@code after} (null: from the start) in (last use, action) order,
     * last used before {@code protectFrom}.
     */
    private List<Candidate> oldest(Candidate after, long protectFrom) throws IOException {
        return index.withDb("trim: read entries", c -> {
            List<Candidate> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT action, output, size, last_use_nanos FROM entries "
                    + "WHERE (last_use_nanos > ? OR (last_use_nanos = ? AND action > ?)) AND last_use_nanos < ? "
                    + "ORDER BY last_use_nanos, action LIMIT ?")) {
                ps.setLong(1, after == null ? Long.MIN_VALUE : after.lastUse());
                ps.setLong(2, after == null ? Long.MIN_VALUE : after.lastUse());
                ps.setBytes(3, after == null ? new byte[0] : after.action().bytes());
                ps.setLong(4, protectFrom);
                ps.setInt(5, BATCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Candidate(new Digest(rs.getBytes(1)), new Digest(rs.getBytes(2)), rs.getLong(3),
                                rs.getLong(4)));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Removes one entry; if no other entry names its output, the blob goes too.
     *
     * @return the bytes freed, or -1 if the blob stays (another entry names it)
     */
    private long removeEntry(Candidate e) throws IOException {
        Digest output = e.output();
        boolean lastOne = index.withDb("trim: remove entry", c -> Index.inTransaction(c, () -> {
            // The blob's lock first, as puts take it (the same order, so no deadlock): no put
            // can be naming this file between the check and the delete.
            locks.lock(c, output, e.size(), false);
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM entries WHERE action = ? AND last_use_nanos = ?")) {
                ps.setBytes(1, e.action().bytes());
                ps.setLong(2, e.lastUse());
                if (ps.executeUpdate() == 0) {
                    return false; // used or replaced meanwhile: leave it
                }
            }
            return locks.removeIfUnnamed(c, output);
        }));
        return lastOne ? e.size() : -1;
    }

    /** For a dry run: the bytes removing {@code e} would free, counting earlier removals in its batch. */
    private long dryRunFreed(Candidate e, List<Candidate> batch) throws IOException {
        long refs = index.withDb("trim: count references", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM entries WHERE output = ?")) {
                ps.setBytes(1, e.output().bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        long earlier = 0;
        for (Candidate o : batch) {
            if (o == e) {
                break;
            }
            if (o.output().equals(e.output())) {
                earlier++;
            }
        }
        return refs - earlier <= 1 ? e.size() : -1;
    }

    private void record(TrimResult r) throws IOException {
        index.withDb("record trim", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO trims (at_nanos, entries_removed, "
                    + "blobs_removed, bytes_removed, entries_left, bytes_left, within_budget) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, EpochNanos.of(r.at()));
                ps.setLong(2, r.entriesRemoved());
                ps.setLong(3, r.blobsRemoved());
                ps.setLong(4, r.bytesRemoved());
                ps.setLong(5, r.entriesLeft());
                ps.setLong(6, r.bytesLeft());
                ps.setBoolean(7, r.withinBudget());
                ps.executeUpdate();
            }
            IndexRows.keepNewest(c, "trims", TRIMS_KEPT);
            return null;
        });
    }

    /** A blob no entry names, as trim sees it. */
    private record Stored(Digest output, long size) {
    }

    /**
     * The next blobs after {@code after} (null: from the start), in byte order, that no entry
     * has named since before {@code cutoff}.
     */
    private List<Stored> unnamedBefore(long cutoff, Digest after) throws IOException {
        return index.withDb("trim: read unnamed blobs", c -> {
            List<Stored> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT b.output, b.size FROM blobs b "
                    + "WHERE b.unnamed_nanos < ? AND b.output > ? AND " + UNNAMED + " ORDER BY b.output LIMIT ?")) {
                ps.setLong(1, cutoff);
                ps.setBytes(2, after == null ? new byte[0] : after.bytes());
                ps.setInt(3, BATCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Stored(new Digest(rs.getBytes(1)), rs.getLong(2)));
                    }
                }
            }
            return out;
        });
    }

    /** Bytes of the distinct outputs the entries name. */
    private long namedBytes() throws IOException {
        return count("SELECT COALESCE(SUM(size), 0) FROM (SELECT output, MAX(size) AS size FROM entries GROUP BY output)");
    }

    /** Bytes of every blob the index knows: the outputs entries name, and the unnamed ones not trimmed yet. */
    private long totalBytes() throws IOException {
        return namedBytes() + count("SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE " + UNNAMED);
    }

    private long count(String sql) throws IOException {
        return index.withDb("count", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    // ---- stats ----

    StoreStats stats(int largest) throws IOException {
        long entries = count("SELECT COUNT(*) FROM entries");
        long blobs = count("SELECT COUNT(DISTINCT output) FROM entries");
        long bytes = namedBytes();
        long unnamed = count("SELECT COUNT(*) FROM blobs b WHERE " + UNNAMED);
        long unnamedBytes = count("SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE " + UNNAMED);
        StoreStats.Sessions recent = sessions.recent();
        List<StoreStats.Large> large = index.withDb("stats: largest", c -> {
            List<StoreStats.Large> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT action, output, size, last_use_nanos FROM entries ORDER BY size DESC, action LIMIT ?")) {
                ps.setInt(1, largest);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StoreStats.Large(new Digest(rs.getBytes(1)), new Digest(rs.getBytes(2)), rs.getLong(3), EpochNanos.toInstant(rs.getLong(4))));
                    }
                }
            }
            return out;
        });
        Optional<TrimResult> lastTrim = lastTrim();
        long temps = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(files.tmpDir())) {
            for (Path ignored : ds) {
                temps++;
            }
        } catch (NoSuchFileException e) {
            temps = 0;
        }
        return new StoreStats(entries, blobs, bytes, unnamed, unnamedBytes, recent, large, lastTrim, temps);
    }

    /** The most recent trim recorded, if any: one row read, whatever the store's size. */
    Optional<TrimResult> lastTrim() throws IOException {
        return index.withDb("last trim", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT at_nanos, entries_removed, blobs_removed, "
                    + "bytes_removed, entries_left, bytes_left, within_budget FROM trims ORDER BY id DESC LIMIT 1");
                    ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.<TrimResult>empty();
                }
                return Optional.of(new TrimResult(EpochNanos.toInstant(rs.getLong(1)), rs.getLong(2), rs.getLong(3),
                        rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getBoolean(7), false));
            }
        });
    }

    // ---- verify ----

    /** One distinct output the index names. */
    private record Named(Digest output, long size, long entries) {
    }

    VerifyResult verify(boolean repair) throws IOException {
        List<VerifyResult.Problem> problems = new ArrayList<>();
        long checked = 0;
        long bytes = 0;
        Digest after = null;
        while (true) {
            List<Named> batch = named(after);
            if (batch.isEmpty()) {
                break;
            }
            for (Named n : batch) {
                after = n.output();
                Digest output = n.output();
                Path blob = files.blobPath(output);
                BlobCheck.Finding f = check.inspect(blob, output, n.size(), null);
                if (f == null) {
                    continue; // trimmed while we looked
                }
                if (f.problem() != VerifyResult.Kind.MISSING_BLOB && f.problem() != VerifyResult.Kind.WRONG_SIZE) {
                    checked++;
                    bytes += n.size();
                }
                if (f.problem() == null) {
                    check.recordIfSettled(blob, output, n.size(), f.stat());
                    continue;
                }
                problems.add(new VerifyResult.Problem(f.problem(), blob, n.entries(), f.detail()));
                if (repair) {
                    check.drop(output, n.size(), f.statKey(), f.problem() != VerifyResult.Kind.MISSING_BLOB);
                }
            }
        }
        strayBlobs(problems, repair);
        strayTemps(problems, repair);
        return new VerifyResult(checked, bytes, problems, repair);
    }

    /** The next batch of distinct outputs after {@code after} (null: from the start), in byte order. */
    private List<Named> named(Digest after) throws IOException {
        return index.withDb("verify: read entries", c -> {
            List<Named> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT output, MAX(size), COUNT(*) FROM entries "
                    + "WHERE output > ? GROUP BY output ORDER BY output LIMIT ?")) {
                ps.setBytes(1, after == null ? new byte[0] : after.bytes());
                ps.setInt(2, BATCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Named(new Digest(rs.getBytes(1)), rs.getLong(2), rs.getLong(3)));
                    }
                }
            }
            return out;
        });
    }

    /** Files under {@code blobs/} that no entry names, or that are not blobs at all. */
    private void strayBlobs(List<VerifyResult.Problem> problems, boolean repair) throws IOException {
        Path root = files.blobsDir();
        if (!Files.isDirectory(root)) {
            return;
        }
        Instant cutoff = files.clock().instant().minus(ORPHAN_GRACE); // file times are the real clock's
        try (DirectoryStream<Path> fans = Files.newDirectoryStream(root)) {
            for (Path fan : fans) {
                if (!Files.isDirectory(fan)) {
                    problems.add(stray(fan, "not a fan-out directory", repair));
                    continue;
                }
                try (DirectoryStream<Path> inFan = Files.newDirectoryStream(fan)) {
                    for (Path f : inFan) {
                        String name = f.getFileName().toString();
                        // Only a file where the store puts its blob is one: the rest is not
                        // guarded by the blob's lock, and is stray.
                        if (!HEX64.matcher(name).matches() || !f.equals(files.blobPath(Digest.fromHex(name)))
                                || !Files.isRegularFile(f)) {
                            problems.add(stray(f, "not a blob larder wrote", repair));
                            continue;
                        }
                        Digest output = Digest.fromHex(name);
                        // A blob recorded as unnamed (a replaced output, an upload) is counted
                        // by stats and removed by trim an hour later: not a problem.
                        boolean known = index.withDb("verify: look up blob", c -> BlobLocks.kept(c, output));
                        if (!known && Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) {
                            problems.add(new VerifyResult.Problem(VerifyResult.Kind.ORPHAN_BLOB, f, 0,
                                    Files.size(f) + " bytes no entry names"));
                            if (repair) {
                                index.withDb("verify: remove orphan",
                                        c -> Index.inTransaction(c, () -> locks.removeIfUnnamed(c, output)));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Files in {@code tmp/} whose writer is gone. */
    private void strayTemps(List<VerifyResult.Problem> problems, boolean repair) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(files.tmpDir())) {
            for (Path p : ds) {
                if (files.abandoned(p, ORPHAN_GRACE)) {
                    problems.add(stray(p, "left by a put that never finished", repair));
                }
            }
        } catch (NoSuchFileException e) {
            // no tmp/ yet
        }
    }

    private static VerifyResult.Problem stray(Path p, String why, boolean repair) throws IOException {
        if (repair && !Files.isDirectory(p)) {
            Files.deleteIfExists(p);
        }
        return new VerifyResult.Problem(VerifyResult.Kind.STRAY_FILE, p, 0, why);
    }
}
