package dev.larder.helper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.storage.TierCounters;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The stats JSON as {@code --stats-json} writes it: the names users and scripts read. */
class HelperStatsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The {@code store} fields, as the README lists them; renaming a counter renames one of these. */
    private static final List<String> STORE_FIELDS = List.of("remoteHits", "remoteHitBytes", "remoteMisses",
            "remoteErrors", "remoteRefused", "untrusted", "uploads", "uploadErrors", "uploadsDropped", "uploadsAbandoned",
            "prefetched");

    private static HelperStats stats(TierCounters store) {
        return new HelperStats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, false, store);
    }

    /** The field names of {@code node}, in any order. */
    private static Set<String> fields(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void json_storeCounters_areFieldsOfTheirOwnNames() throws Exception {
        TierCounters store = new TierCounters(11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21);
        JsonNode s = JSON.readTree(JSON.writeValueAsString(stats(store)));
        assertEquals(new TreeSet<>(STORE_FIELDS), fields(s.get("store")), "store fields in " + s);
        for (int i = 0; i < STORE_FIELDS.size(); i++) {
            String name = STORE_FIELDS.get(i);
            assertEquals(11 + i, s.get("store").get(name).asLong(), "store." + name + " in " + s);
        }
    }

    @Test
    void json_sessionCounters_keepTheirNames() throws Exception {
        JsonNode s = JSON.readTree(JSON.writeValueAsString(stats(TierCounters.NONE)));
        assertEquals(new TreeSet<>(List.of("gets", "hits", "misses", "puts", "putBytes", "hitBytes", "errors",
                "handshakeMillis", "storeOpenMillis", "sessionMillis", "readOnly", "store")), fields(s), "fields of " + s);
    }

    @Test
    void json_readBack_isTheSameRecord() throws Exception {
        TierCounters store = new TierCounters(1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6);
        assertEquals(store, JSON.readValue(JSON.writeValueAsString(store), TierCounters.class), "counters read back");
    }

    @Test
    void json_readBack_isTheSameHelperStats() throws Exception {
        HelperStats stats = stats(new TierCounters(1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6));
        assertEquals(stats, JSON.readValue(JSON.writeValueAsString(stats), HelperStats.class), "stats read back");
    }
}
