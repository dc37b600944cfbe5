package dev.larder.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/** Copies a body into a file while checking it against the output id it claims to be. */
public final class VerifiedCopy {
    private VerifiedCopy() {
    }

    /**
     * Writes {@code in} into {@code into} (replacing it), reading at most one byte past
     * {@code size}; streamed, so memory stays small whatever the body's size.
     *
     * @throws BodyMismatchException if the body is not {@code size} bytes hashing (SHA-256) to
     *                               {@code output}; {@code into} is then deleted
     * @throws IOException           if reading or writing fails; {@code into} is then deleted
     */
    public static void to(Path into, InputStream in, long size, Digest output) throws IOException {
        try {
            MessageDigest md = Digest.newSha256();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(into)) {
                int k;
                while (n <= size && (k = in.read(buf)) > 0) {
                    n += k;
                    if (n <= size) {
                        md.update(buf, 0, k);
                        out.write(buf, 0, k);
                    }
                }
            }
            if (n != size) {
                throw new BodyMismatchException("body: got " + (n > size ? "more than " + size : n)
                        + " bytes, declared " + size);
            }
            Digest got = new Digest(md.digest());
            if (!got.equals(output)) {
                throw new BodyMismatchException("body: hashes to " + got + ", declared " + output);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(into);
            throw e;
        }
    }
}
