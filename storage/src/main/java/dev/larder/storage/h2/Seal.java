package dev.larder.storage.h2;

import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * What the index keeps of a record that came signed: the time it was signed with and the
 * signature, so the store can hand the record on exactly as signed ({@code larder serve}, a far
 * tier that is a local store). As stored: seconds (8 bytes), nanoseconds (4), the signature (64).
 *
 * @param time      the record's time, as signed
 * @param signature the signature
 */
record Seal(Instant time, RecordSignature signature) {
    static final int LENGTH = 8 + 4 + RecordSignature.LENGTH;

    /** The seal of {@code record}, or null if it is not signed. */
    static Seal of(StoredOutput record) {
        return record.signature().map(s -> new Seal(record.time(), s)).orElse(null);
    }

    byte[] encode() {
        return ByteBuffer.allocate(LENGTH).putLong(time.getEpochSecond()).putInt(time.getNano())
                .put(signature.bytes()).array();
    }

    /** The seal in {@code bytes}, or null if there is none or it is not one (never an error: the record is then unsigned). */
    static Seal decode(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long seconds = b.getLong();
        int nanos = b.getInt();
        if (nanos < 0 || nanos > 999_999_999) {
            return null;
        }
        byte[] sig = new byte[RecordSignature.LENGTH];
        b.get(sig);
        return new Seal(Instant.ofEpochSecond(seconds, nanos), RecordSignature.of(sig));
    }
}
