package dev.larder.storage.tier;

import dev.larder.storage.trust.SigningKey;
import dev.larder.storage.trust.TrustedKeys;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How tiers behave around their far (usually remote) members.
 *
 * @param uploadWait      how long {@code flush} (before the helper answers close) waits for
 *                        uploads still queued; what is left then is abandoned, and counted
 * @param queueCapacity   uploads that may wait at once; a put beyond that is not uploaded (the
 *                        build never waits for the remote), and counted
 * @param uploaders       uploads running at once
 * @param failuresToStop  consecutive failures after which a far tier is left alone for the rest
 *                        of the session, so that a dead or slow remote costs a few timeouts, not
 *                        one per request
 * @param prefetchKey     when present (the working directory), the actions this session asks
 *                        for are recorded under this key in the near store, and those the last
 *                        session with the same key asked for are fetched from far tiers in the
 *                        background as this one starts
 * @param signer          when present, every record written to a far tier is signed with it
 * @param trust           when present, a record read from a far tier is used only if one of these
 *                        keys signed it; any other is a miss, counted as untrusted. Empty: every
 *                        far tier's records are believed (bodies are verified by content either way)
 */
public record TierSettings(Duration uploadWait, int queueCapacity, int uploaders, int failuresToStop,
        Optional<String> prefetchKey, Optional<SigningKey> signer, Optional<TrustedKeys> trust) {
    public TierSettings {
        Objects.requireNonNull(uploadWait, "uploadWait");
        Objects.requireNonNull(prefetchKey, "prefetchKey");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(trust, "trust");
        if (uploadWait.isNegative()) {
            throw new IllegalArgumentException("upload wait: got " + uploadWait + ", want >= 0");
        }
        if (queueCapacity < 1 || uploaders < 1 || failuresToStop < 1) {
            throw new IllegalArgumentException("tier options: queueCapacity, uploaders and failuresToStop must be >= 1, got "
                    + queueCapacity + ", " + uploaders + ", " + failuresToStop);
        }
    }

    /**
     * Up to 60 s of uploads at close, 4096 queued, 4 at once, a tier off after 3 failures in a
     * row, no prefetch, no signing, every record believed.
     */
    public static TierSettings defaults() {
        return new TierSettings(Duration.ofSeconds(60), 4096, 4, 3, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public TierSettings withUploadWait(Duration wait) {
        return new TierSettings(wait, queueCapacity, uploaders, failuresToStop, prefetchKey, signer, trust);
    }

    public TierSettings withPrefetchKey(Optional<String> key) {
        return new TierSettings(uploadWait, queueCapacity, uploaders, failuresToStop, key, signer, trust);
    }

    /** These settings with another signing key and set of trusted keys. */
    public TierSettings withKeys(Optional<SigningKey> signingKey, Optional<TrustedKeys> trustedKeys) {
        return new TierSettings(uploadWait, queueCapacity, uploaders, failuresToStop, prefetchKey, signingKey,
                trustedKeys);
    }
}
