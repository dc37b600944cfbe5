package dev.larder.storage.trust;

import java.util.Objects;
import java.util.Optional;

/**
 * The keys one process works with: the one it signs the records it writes with, and the ones
 * whose records it believes.
 *
 * @param signer when present, records this process writes for others are signed with it
 * @param trust  when present, records from others are believed only when one of these signed them
 */
public record RecordKeys(Optional<SigningKey> signer, Optional<TrustedKeys> trust) {
    /** No signing, every record believed. */
    public static final RecordKeys NONE = new RecordKeys(Optional.empty(), Optional.empty());

    public RecordKeys {
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(trust, "trust");
    }
}
