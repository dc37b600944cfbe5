package dev.larder.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.storage.TierCounters;
import java.io.IOException;

/** Reads a helper's {@code --stats-json} file the way it was written. */
final class StatsJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatsJson() {
    }

    /**
     * The {@code store} counters of {@code stats}, read into the record the helper wrote them from:
     * a field the record lacks, or one renamed, fails here rather than reading as zero.
     */
    static TierCounters store(JsonNode stats) throws IOException {
        return JSON.treeToValue(stats.get("store"), TierCounters.class);
    }
}
