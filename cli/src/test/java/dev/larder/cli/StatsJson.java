package dev.larder.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.helper.HelperStats;
import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a {@code --stats-json} file (the helper's or {@code larder run}'s) into the record it was
 * written from, so tests name a counter by its accessor ({@code s.puts()}, {@code s.store().uploads()}),
 * never by a string: a field the record lacks, one renamed, or one missing fails here rather than
 * reading as zero.
 */
final class StatsJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private StatsJson() {
    }

    /** The helper's stats, as its {@code --stats-json} wrote them. */
    static HelperStats helper(JsonNode stats) throws IOException {
        return JSON.treeToValue(stats, HelperStats.class);
    }

    /** The helper's stats in the {@code --stats-json} file {@code file}. */
    static HelperStats helper(Path file) throws IOException {
        return JSON.readValue(file.toFile(), HelperStats.class);
    }

    /** {@code larder run}'s stats in the {@code --stats-json} file {@code file}. */
    static RunStats run(Path file) throws IOException {
        return JSON.readValue(file.toFile(), RunStats.class);
    }
}
