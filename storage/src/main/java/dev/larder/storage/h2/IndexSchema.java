package dev.larder.storage.h2;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The tables of a store's index; whoever owns the index ({@link IndexHost}) creates them. */
final class IndexSchema {
    static final int VERSION = 2;

    /** The index's file in a store directory (H2's name for a database called {@code index}). */
    static final String FILE = "index.mv.db";

    private IndexSchema() {
    }

    /**
     * Adds what an owner from an older larder did not create (such an owner serves the index to
     * this process until it exits idle): one look at the catalog when nothing is missing.
     */
    static void upgrade(Connection c) throws SQLException {
        try (ResultSet unnamed = c.getMetaData().getColumns(null, null, "BLOBS", "UNNAMED_NANOS");
                ResultSet seal = c.getMetaData().getColumns(null, null, "ENTRIES", "SEAL")) {
            if (unnamed.next() && seal.next()) {
                return;
            }
        }
        create(c);
    }

    /** Creates the tables that are missing and records the schema version; safe to run again. */
    static void create(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS meta (name VARCHAR(64) PRIMARY KEY, val VARCHAR(256) NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS entries ("
                    + "action VARBINARY(32) PRIMARY KEY, "
                    + "output VARBINARY(32) NOT NULL, "
                    + "size BIGINT NOT NULL, "
                    + "put_nanos BIGINT NOT NULL, "
                    + "last_use_nanos BIGINT NOT NULL)");
            st.execute("CREATE INDEX IF NOT EXISTS entries_output ON entries(output)");
            // The signed time and signature of a record that came signed ({@link Seal}): kept so
            // that the record can be handed on as it was signed. Null for the store's own puts.
            st.execute("ALTER TABLE entries ADD COLUMN IF NOT EXISTS seal VARBINARY(" + Seal.LENGTH + ")");
            // One row per blob file whose bytes were hashed and found right, keyed by what stat
            // said of the file then: while the file's stat is unchanged, it need not be hashed
            // again before it is served; any write to it (a bit flip, a truncation) changes its
            // ctime, and the next get hashes it.
            st.execute("CREATE TABLE IF NOT EXISTS blobs ("
                    + "output VARBINARY(32) PRIMARY KEY, "
                    + "size BIGINT NOT NULL, "
                    + "verified_stat VARCHAR(128) NOT NULL)");
            // When the blob stopped being any entry's output (a put replaced the output that named
            // it, or it was uploaded alone, for a record to name later): trim removes it once this
            // is older than the protected hour. Null while an entry names it.
            st.execute("ALTER TABLE blobs ADD COLUMN IF NOT EXISTS unnamed_nanos BIGINT");
            st.execute("CREATE TABLE IF NOT EXISTS sessions ("
                    + "id BIGINT AUTO_INCREMENT PRIMARY KEY, ended_nanos BIGINT NOT NULL, gets BIGINT NOT NULL, "
                    + "hits BIGINT NOT NULL, misses BIGINT NOT NULL, puts BIGINT NOT NULL, "
                    + "put_bytes BIGINT NOT NULL, errors BIGINT NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS trims ("
                    + "id BIGINT AUTO_INCREMENT PRIMARY KEY, at_nanos BIGINT NOT NULL, "
                    + "entries_removed BIGINT NOT NULL, blobs_removed BIGINT NOT NULL, bytes_removed BIGINT NOT NULL, "
                    + "entries_left BIGINT NOT NULL, bytes_left BIGINT NOT NULL, within_budget BOOLEAN NOT NULL)");
            st.execute("MERGE INTO meta (name, val) KEY(name) VALUES ('schema', '" + VERSION + "')");
        }
    }
}
