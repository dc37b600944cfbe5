package dev.larder.cli.plugin;

import dev.larder.storage.Backend;
import dev.larder.storage.Digest;
import dev.larder.storage.StoredOutput;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;

/**
 * A {@link Backend} over a directory, laid out like a Bazel HTTP cache:
 * <ul>
 *   <li>{@code ac/<action hex>}: one line {@code <output hex> <size> <time>}, the time as ISO-8601
 *       ({@link Instant#toString()}), naming the action's output;
 *   <li>{@code cas/<output hex>}: the output's bytes;
 *   <li>{@code tmp/}: files being written, each renamed into place when complete.
 * </ul>
 *
 * <p>Every file appears whole or not at all (written to {@code tmp/}, then renamed atomically),
 * and a body is in place before any record names it, so concurrent readers in other processes
 * never see a partial file. The backend does not check what it hands out: larder verifies each
 * body's length and SHA-256 as it reads it. Thread-safe: it keeps no state besides its paths.
 */
final class FilesBackend implements Backend {
    private final Path ac;
    private final Path cas;
    private final Path tmp;
    private final InstantSource clock;

    private FilesBackend(Path dir, InstantSource clock) {
        this.ac = dir.resolve("ac");
        this.cas = dir.resolve("cas");
        this.tmp = dir.resolve("tmp");
        this.clock = clock;
    }

    /** A backend over {@code dir}, whose subdirectories are created if missing. */
    static FilesBackend open(Path dir, InstantSource clock) throws IOException {
        FilesBackend b = new FilesBackend(dir, clock);
        Files.createDirectories(b.ac);
        Files.createDirectories(b.cas);
        Files.createDirectories(b.tmp);
        return b;
    }

    @Override
    public Optional<StoredOutput> find(Digest action) throws IOException {
        Path record = ac.resolve(action.toString());
        String line;
        try {
            line = Files.readString(record, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String[] f = line.split(" ");
        try {
            if (f.length != 3) {
                throw new IllegalArgumentException("got " + f.length + " fields");
            }
            return Optional.of(new StoredOutput(Digest.fromHex(f[0]), Long.parseLong(f[1]), Instant.parse(f[2])));
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new IOException(record + ": got \"" + line + "\", want <output hex> <size> <time>: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Optional<InputStream> open(Digest output, long size) throws IOException {
        File body = cas.resolve(output.toString()).toFile();
        // Nothing here deletes bodies, so one that exists now can still be opened next.
        return body.isFile() ? Optional.of(new FileInputStream(body)) : Optional.empty();
    }

    /** Stores the body, then the record naming it; a body already there is replaced, which heals a damaged copy. */
    @Override
    public void store(Digest action, Digest output, long size, Path file) throws IOException {
        Path body = Files.createTempFile(tmp, "cas-", ".tmp");
        Files.copy(file, body, StandardCopyOption.REPLACE_EXISTING);
        place(body, cas.resolve(output.toString()));
        Path record = Files.createTempFile(tmp, "ac-", ".tmp");
        Files.writeString(record, output + " " + size + " " + clock.instant() + "\n", StandardCharsets.UTF_8);
        place(record, ac.resolve(action.toString()));
    }

    private static void place(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void close() {
        // Nothing is held open between calls.
    }
}
