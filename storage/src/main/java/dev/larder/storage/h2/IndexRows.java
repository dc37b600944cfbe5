package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The statements on the {@code entries} and {@code blobs} tables that gets, puts and upkeep
 * share, each run on the connection it is given (inside the caller's transaction, if any). The
 * row locks that guard blob files are {@link BlobLocks}'s; sessions are {@link SessionRows}'s.
 */
final class IndexRows {
    private IndexRows() {
    }

    /**
     * A blob's row in {@code blobs}.
     *
     * @param size         the blob's size in bytes
     * @param verifiedStat the {@link BlobStat#key} its bytes were last found right under; empty if none
     */
    record BlobRow(long size, String verifiedStat) {
    }

    /** The row of {@code action} with its blob's verified stat, or null if the index has none. */
    static EntryRow entry(Connection c, Digest action) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT e.output, e.size, e.put_nanos, e.last_use_nanos, b.verified_stat, e.seal "
                        + "FROM entries e LEFT JOIN blobs b ON b.output = e.output WHERE e.action = ?")) {
            ps.setBytes(1, action.bytes());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new EntryRow(new Digest(rs.getBytes(1)), rs.getLong(2), rs.getLong(3), rs.getLong(4),
                        rs.getString(5), Seal.decode(rs.getBytes(6)));
            }
        }
    }

    /** The row of {@code output}'s blob, or null if the index has none. */
    static BlobRow blob(Connection c, Digest output) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT size, verified_stat FROM blobs WHERE output = ?")) {
            ps.setBytes(1, output.bytes());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new BlobRow(rs.getLong(1), rs.getString(2)) : null;
            }
        }
    }

    /** Sets the last use of {@code action}'s entry; false if it is gone or names another output by now. */
    static boolean touch(Connection c, Digest action, Digest output, long nowNanos) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE entries SET last_use_nanos = ? WHERE action = ? AND output = ?")) {
            ps.setLong(1, nowNanos);
            ps.setBytes(2, action.bytes());
            ps.setBytes(3, output.bytes());
            return ps.executeUpdate() > 0;
        }
    }

    /** Makes {@code action} name {@code output}, put and last used at {@code nowNanos}, with {@code seal} (or none). */
    static void putEntry(Connection c, Digest action, Digest output, long size, long nowNanos, Seal seal)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "MERGE INTO entries (action, output, size, put_nanos, last_use_nanos, seal) KEY(action) "
                        + "VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setBytes(1, action.bytes());
            ps.setBytes(2, output.bytes());
            ps.setLong(3, size);
            ps.setLong(4, nowNanos);
            ps.setLong(5, nowNanos);
            ps.setBytes(6, seal == null ? null : seal.encode());
            ps.executeUpdate();
        }
    }

    /** Whether any entry names {@code output}. */
    static boolean referenced(Connection c, Digest output) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM entries WHERE output = ? LIMIT 1")) {
            ps.setBytes(1, output.bytes());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Records that {@code output}'s blob of {@code size} bytes was found right under stat {@code statKey}. */
    static void recordVerified(Connection c, Digest output, long size, String statKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "MERGE INTO blobs (output, size, verified_stat) KEY(output) VALUES (?, ?, ?)")) {
            ps.setBytes(1, output.bytes());
            ps.setLong(2, size);
            ps.setString(3, statKey);
            ps.executeUpdate();
        }
    }

    /** The verified stat of {@code output}'s blob, or null if it has no row. */
    static String verifiedStat(Connection c, Digest output) throws SQLException {
        BlobRow row = blob(c, output);
        return row == null ? null : row.verifiedStat();
    }

    /** Forgets every entry naming {@code output}. */
    static void deleteEntriesOf(Connection c, Digest output) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM entries WHERE output = ?")) {
            ps.setBytes(1, output.bytes());
            ps.executeUpdate();
        }
    }

    /** Forgets the row of {@code output}'s blob. */
    static void deleteBlob(Connection c, Digest output) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM blobs WHERE output = ?")) {
            ps.setBytes(1, output.bytes());
            ps.executeUpdate();
        }
    }

    /** Forgets all but the newest {@code kept} rows of {@code table} (sessions, trims: ordered by id). */
    static void keepNewest(Connection c, String table, int kept) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM " + table + " WHERE id <= (SELECT MAX(id) FROM " + table + ") - ?")) {
            ps.setLong(1, kept);
            ps.executeUpdate();
        }
    }
}
