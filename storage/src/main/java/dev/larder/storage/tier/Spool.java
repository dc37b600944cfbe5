package dev.larder.storage.tier;

import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.InstantSource;

/**
 * Local files for outputs when no local tier may be written (every local store is read-only):
 * a far hit, or a put bound for a far tier, still needs a file whose path cmd/go can read. The
 * files live in a private temporary directory, named by output id, removed when the session's
 * store is closed, so unlike a store's entries they do not outlive the helper. Thread-safe.
 */
final class Spool {
    private final InstantSource clock;
    private Path dir;

    Spool(InstantSource clock) {
        this.clock = clock;
    }

    /** Writes {@code body} into the spool if it is {@code size} bytes hashing to {@code output}. */
    Entry put(Digest output, long size, InputStream body) throws IOException {
        Path d = dir();
        Path tmp = Files.createTempFile(d, "in-", ".tmp");
        try {
            MessageDigest md = Digest.newSha256();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(tmp)) {
                int k;
                while (n <= size && (k = body.read(buf)) > 0) {
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
            Path file = d.resolve(output.toString());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Entry(output, size, clock.instant(), file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("larder-spool-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }

    /** Removes the spool's files. */
    synchronized void delete() throws IOException {
        if (dir == null) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
        dir = null;
    }
}
