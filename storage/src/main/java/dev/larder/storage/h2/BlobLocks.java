package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The row locks that guard one store's blob files: every change to a blob file (placing it,
 * deleting it) happens in a transaction holding its row's lock in {@code blobs}, taken through
 * this object, so that a trim or repair never deletes the file a put is about to name. The store
 * and its {@link Upkeep} are given the same instance. Thread-safe (it keeps no state but the
 * files it guards).
 */
final class BlobLocks {
    private final BlobFiles files;

    BlobLocks(BlobFiles files) {
        this.files = files;
    }

    /**
     * Takes the row lock of {@code output}'s blob record until the transaction on {@code c} ends,
     * creating the record (with {@code size}) if there is none; {@code replacing} (a put) also
     * forgets its verified stat. Locks are taken blob before entry, in this order everywhere, so
     * that no two transactions deadlock on them.
     */
    void lock(Connection c, Digest output, long size, boolean replacing) throws SQLException {
        if (!replacing) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM blobs WHERE output = ? FOR UPDATE")) {
                ps.setBytes(1, output.bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "MERGE INTO blobs (output, size, verified_stat) KEY(output) VALUES (?, ?, '')")) {
            ps.setBytes(1, output.bytes());
            ps.setLong(2, size);
            ps.executeUpdate();
        }
    }

    /**
     * Under {@code output}'s lock: if no entry names it, deletes its blob file and record.
     *
     * @return whether they went
     */
    boolean removeIfUnnamed(Connection c, Digest output) throws SQLException, IOException {
        lock(c, output, 0, false);
        if (IndexRows.referenced(c, output)) {
            return false;
        }
        Files.deleteIfExists(files.blobPath(output));
        IndexRows.deleteBlob(c, output);
        return true;
    }

    /**
     * Under {@code output}'s lock: if no entry names it, records that none has since
     * {@code nowNanos}, so that stats count its bytes and a trim an hour later removes it (a
     * {@code DiskPath} handed out before may still be read until then); a record whose file is
     * gone is forgotten instead.
     */
    void unnamed(Connection c, Digest output, long size, long nowNanos) throws SQLException {
        lock(c, output, size, false);
        if (IndexRows.referenced(c, output)) {
            return;
        }
        if (files.stat(files.blobPath(output)) == null) {
            IndexRows.deleteBlob(c, output);
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE blobs SET unnamed_nanos = ? WHERE output = ?")) {
            ps.setLong(1, nowNanos);
            ps.setBytes(2, output.bytes());
            ps.executeUpdate();
        }
    }

    /** Records that an entry names {@code output} now; the caller holds its lock (it is naming it). */
    void named(Connection c, Digest output) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE blobs SET unnamed_nanos = NULL WHERE output = ? AND unnamed_nanos IS NOT NULL")) {
            ps.setBytes(1, output.bytes());
            ps.executeUpdate();
        }
    }

    /**
     * Under {@code output}'s lock: if no entry names it and none has since before
     * {@code cutoffNanos} ({@link #unnamed}), deletes its blob file and record.
     *
     * @return whether they went
     */
    boolean removeIfUnnamedBefore(Connection c, Digest output, long cutoffNanos) throws SQLException, IOException {
        Long since = unnamedSince(c, output, true);
        if (since == null || since >= cutoffNanos) {
            return false; // named or stored again meanwhile, or gone
        }
        return removeIfUnnamed(c, output);
    }

    /**
     * Whether {@code output}'s blob is to stay: an entry names it, or the index counts it as
     * unnamed ({@link #unnamed}: a replaced output or an upload, which only trim removes).
     */
    static boolean kept(Connection c, Digest output) throws SQLException {
        return IndexRows.referenced(c, output) || unnamedSince(c, output, false) != null;
    }

    /**
     * Since when no entry has named {@code output}, if its blob is recorded as unnamed
     * ({@link #unnamed}); null if it is not, or has no record. With {@code lock}, takes the
     * row's lock too (if it has a row).
     */
    private static Long unnamedSince(Connection c, Digest output, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT unnamed_nanos FROM blobs WHERE output = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setBytes(1, output.bytes());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long since = rs.getLong(1);
                return rs.wasNull() ? null : since;
            }
        }
    }

    /**
     * Under {@code output}'s lock: forgets every entry naming it and the record of its blob, and
     * with {@code deleteFile} deletes the (damaged) blob file, unless the file changed since it
     * was judged (its stat key then was {@code judgedStat}, null for missing): a put may have
     * replaced it with good bytes meanwhile.
     *
     * @return false if the file changed since (nothing was dropped)
     */
    boolean drop(Connection c, Digest output, long size, String judgedStat, boolean deleteFile)
            throws SQLException, IOException {
        lock(c, output, size, false);
        BlobStat now = files.stat(files.blobPath(output));
        if (!Objects.equals(now == null ? null : now.key(), judgedStat)) {
            return false;
        }
        IndexRows.deleteEntriesOf(c, output);
        IndexRows.deleteBlob(c, output);
        if (deleteFile) {
            Files.deleteIfExists(files.blobPath(output));
        }
        return true;
    }
}
