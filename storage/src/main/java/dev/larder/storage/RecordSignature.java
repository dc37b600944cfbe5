package dev.larder.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An Ed25519 signature over one {@link StoredOutput record} of one action: 64 bytes, opaque to
 * every store, which keeps it with the record it came with. Who signed it is found by trying the
 * keys one trusts ({@code dev.larder.storage.trust.TrustedKeys}); a record whose signature no
 * trusted key verifies is untrusted, whatever its bytes.
 *
 * <p>Immutable; equality is by content.
 */
public final class RecordSignature {
    /** The length of an Ed25519 signature in bytes. */
    public static final int LENGTH = 64;
    private static final byte[] DOMAIN = "larder record v1\0".getBytes(StandardCharsets.US_ASCII);

    private final byte[] bytes;

    private RecordSignature(byte[] bytes) {
        this.bytes = bytes;
    }

    /** @throws IllegalArgumentException if {@code bytes} is not 64 bytes long */
    public static RecordSignature of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("record signature: got "
                    + (bytes == null ? "null" : bytes.length + " bytes") + ", want " + LENGTH);
        }
        return new RecordSignature(bytes.clone());
    }

    /** The 64 signature bytes (a copy). */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * What is signed for {@code record} of {@code action}: a domain tag, the action id, the output
     * id, the size (8 bytes) and the put time (seconds, 8 bytes; nanoseconds, 4 bytes), big-endian.
     * Any change to one of them (another output, size or time, or the record moved to another
     * action) makes the signature fail.
     */
    public static byte[] message(Digest action, StoredOutput record) {
        ByteBuffer b = ByteBuffer.allocate(DOMAIN.length + 2 * Digest.LENGTH + 8 + 8 + 4);
        b.put(DOMAIN).put(action.bytes()).put(record.output().bytes()).putLong(record.size())
                .putLong(record.time().getEpochSecond()).putInt(record.time().getNano());
        return b.array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordSignature s && Arrays.equals(bytes, s.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "RecordSignature[" + HexFormat.of().formatHex(bytes, 0, 8) + "...]";
    }
}
