package dev.larder.storage;

import java.time.Instant;

/**
 * The counters of one finished helper session, which a store may keep to report hit rates.
 *
 * @param ended    when the session ended
 * @param gets     get requests answered
 * @param hits     gets answered with an output
 * @param misses   gets answered with a miss
 * @param puts     outputs stored
 * @param putBytes bytes stored
 * @param errors   requests answered with an error
 */
public record SessionRecord(Instant ended, long gets, long hits, long misses, long puts, long putBytes,
        long errors) {
}
