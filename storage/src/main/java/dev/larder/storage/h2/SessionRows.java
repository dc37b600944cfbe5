package dev.larder.storage.h2;

import dev.larder.storage.SessionRecord;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;

/** The {@code sessions} table of one store's index: a row per finished session, the last {@link #KEPT} kept. */
final class SessionRows {
    /** Session rows kept for the hit rate over recent sessions. */
    static final int KEPT = 1000;

    private final Index index;

    SessionRows(Index index) {
        this.index = index;
    }

    /** Records a finished session's counters and forgets all but the last {@link #KEPT}. */
    void record(SessionRecord r) throws IOException {
        index.withDb("record session", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions "
                    + "(ended_nanos, gets, hits, misses, puts, put_bytes, errors) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, EpochNanos.of(r.ended()));
                ps.setLong(2, r.gets());
                ps.setLong(3, r.hits());
                ps.setLong(4, r.misses());
                ps.setLong(5, r.puts());
                ps.setLong(6, r.putBytes());
                ps.setLong(7, r.errors());
                ps.executeUpdate();
            }
            IndexRows.keepNewest(c, "sessions", KEPT);
            return null;
        });
    }

    /** The counters of the last {@link StoreStats.Sessions#WINDOW} sessions, summed. */
    StoreStats.Sessions recent() throws IOException {
        return index.withDb("stats: sessions", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), MIN(ended_nanos), "
                    + "COALESCE(SUM(gets), 0), COALESCE(SUM(hits), 0), COALESCE(SUM(misses), 0), "
                    + "COALESCE(SUM(puts), 0), COALESCE(SUM(put_bytes), 0), COALESCE(SUM(errors), 0) FROM "
                    + "(SELECT * FROM sessions ORDER BY id DESC LIMIT " + StoreStats.Sessions.WINDOW + ")");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                long n = rs.getLong(1);
                Optional<Instant> since = n == 0 ? Optional.empty() : Optional.of(EpochNanos.toInstant(rs.getLong(2)));
                return new StoreStats.Sessions(n, since, rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                        rs.getLong(7), rs.getLong(8));
            }
        });
    }
}
