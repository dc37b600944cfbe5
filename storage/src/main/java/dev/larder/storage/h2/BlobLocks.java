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
