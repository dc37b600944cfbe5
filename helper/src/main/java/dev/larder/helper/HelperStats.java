package dev.larder.helper;

import dev.larder.storage.TierCounters;
import java.util.Objects;

/**
 * What one helper session did, as written by {@code --stats-json}.
 *
 * @param gets            get requests answered
 * @param hits            gets answered with an output
 * @param misses          gets answered with a miss
 * @param puts            puts stored
 * @param putBytes        bytes stored by puts
 * @param hitBytes        bytes of the outputs that hits pointed to
 * @param errors          requests answered with {@code Err}
 * @param handshakeMillis milliseconds from the launch (see {@link HelperSettings#launchedAt()}) to
 *                        the handshake being written; -1 if the launch time is unknown
 * @param storeOpenMillis milliseconds the store took to open
 * @param sessionMillis   milliseconds from the handshake to the end of the session
 * @param readOnly        whether the helper refused puts
 * @param store           the store's own counters ({@link dev.larder.storage.Storage#counters()}):
 *                        with far tiers, remote hits, misses, errors, refused bodies and uploads;
 *                        {@link TierCounters#NONE} without them, or before the store is open
 */
public record HelperStats(
        long gets, long hits, long misses, long puts, long putBytes, long hitBytes, long errors,
        long handshakeMillis, long storeOpenMillis, long sessionMillis, boolean readOnly, TierCounters store) {
    public HelperStats {
        Objects.requireNonNull(store, "store");
    }
}
