package dev.larder.storage.tier;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.VerifiedCopy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
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
            VerifiedCopy.to(tmp, body, size, output);
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
