package dev.larder.storage;

/**
 * A store's own counters for one session, about its far tiers: what {@link Storage#counters()}
 * returns and the helper's statistics carry under {@code "store"}, where each component is a JSON
 * field of the same name. A store without far tiers reports {@link #NONE}.
 *
 * @param remoteHits       gets a far tier answered (its body verified and copied near)
 * @param remoteHitBytes   bytes of the outputs far tiers served, prefetched ones included
 * @param remoteMisses     far-tier lookups that found no record, or a record whose body was gone
 * @param remoteErrors     far-tier lookups or fetches that failed (down, slow, garbage)
 * @param remoteRefused    bodies a far tier served that did not match their output id, not used
 * @param untrusted        records a far tier served that no trusted key signed, not used (only
 *                         counted when trusted keys are configured)
 * @param uploads          puts stored in a far tier
 * @param uploadErrors     uploads a far tier failed
 * @param uploadsDropped   uploads not attempted: the queue was full, or the tier was paused after failures
 * @param uploadsAbandoned uploads still unfinished when a flush stopped waiting for them
 * @param prefetched       outputs fetched ahead of their get
 */
public record TierCounters(long remoteHits, long remoteHitBytes, long remoteMisses, long remoteErrors,
        long remoteRefused, long untrusted, long uploads, long uploadErrors, long uploadsDropped, long uploadsAbandoned,
        long prefetched) {
    /** The counters of a store that has no far tiers: all zero. */
    public static final TierCounters NONE = new TierCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
