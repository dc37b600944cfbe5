package dev.larder.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Copies a body into a file while checking it against the output id it claims to be: the one
 * verified streaming copy of storage (the local store's puts, the spool, downloads from a remote
 * cache all go through it).
 */
public final class VerifiedCopy {
    private VerifiedCopy() {
    }

    /**
     * As {@link #to(Path, InputStream, long, Digest, String)}, naming the body {@code body} in
     * failures ({@code body: got 12 bytes, declared 40}).
     */
    public static void to(Path into, InputStream in, long size, Digest output) throws IOException {
        to(into, in, size, output, "body");
    }

    /**
     * Writes {@code in} into {@code into} (created if missing, else truncated, keeping its mode)
     * and fsyncs it, reading at most one byte past {@code size}; streamed, so memory stays small
     * whatever the body's size. {@code in} is not closed.
     *
     * <p>A failure names the body {@code what} and says what arrived and what was declared:
     * {@code WHAT: got 12 bytes, declared 40}, {@code WHAT: got more than 40 bytes, declared 40},
     * {@code WHAT: got sha256 <hex>, declared <hex>}.
     *
     * @throws BodyMismatchException if {@code size} is negative or the body is not {@code size}
     *                               bytes hashing (SHA-256) to {@code output}; {@code into} is
     *                               then deleted
     * @throws IOException           if reading, writing or the fsync fails; {@code into} is then
     *                               deleted
     */
    public static void to(Path into, InputStream in, long size, Digest output, String what) throws IOException {
        try {
            if (size < 0) {
                throw new BodyMismatchException(what + ": declared size " + size + ", want >= 0");
            }
            MessageDigest md = DigestUtils.getSha256Digest();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (FileChannel out = FileChannel.open(into, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (n <= size) {
                    // One byte past the size at most: enough to see that a body is too long.
                    int k = in.read(buf, 0, (int) Math.min(buf.length, size - n + 1));
                    if (k < 0) {
                        break;
                    }
                    n += k;
                    if (n > size) {
                        throw new BodyMismatchException(what + ": got more than " + size + " bytes, declared " + size);
                    }
                    md.update(buf, 0, k);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, k);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                }
                if (n != size) {
                    throw new BodyMismatchException(what + ": got " + n + " bytes, declared " + size);
                }
                Digest got = new Digest(md.digest());
                if (!got.equals(output)) {
                    throw new BodyMismatchException(what + ": got sha256 " + got + ", declared " + output);
                }
                out.force(true);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(into);
            throw e;
        }
    }
}
