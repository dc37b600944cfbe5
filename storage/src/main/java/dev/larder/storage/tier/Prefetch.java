package dev.larder.storage.tier;

import dev.larder.storage.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The actions one working directory's sessions asked for: kept in a file of the near store
 * ({@code prefetch/<sha256 of the directory>}, 32 bytes per action), read at the next session's
 * start so that those actions can be fetched from far tiers before cmd/go asks. Thread-safe.
 */
final class Prefetch {
    /** Enough for the largest builds; beyond this a session's further actions are not recorded. */
    static final int MAX_ACTIONS = 100_000;

    private final Path file;
    /** In the order asked: cmd/go asks roughly in build order, and the next prefetch follows it. */
    private final Set<Digest> asked = new LinkedHashSet<>();

    Prefetch(Path file) {
        this.file = file;
    }

    /** Notes that this session asked for {@code action}. */
    void asked(Digest action) {
        synchronized (asked) {
            if (asked.size() < MAX_ACTIONS) {
                asked.add(action);
            }
        }
    }

    /** What the last session in this directory asked for; empty if none was recorded or the file is damaged. */
    List<Digest> previous() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        if (bytes.length % Digest.LENGTH != 0) {
            // Written by rename, so never half-written by us; someone else's file: ignore it.
            return List.of();
        }
        List<Digest> actions = new ArrayList<>(bytes.length / Digest.LENGTH);
        for (int i = 0; i < bytes.length; i += Digest.LENGTH) {
            byte[] d = new byte[Digest.LENGTH];
            System.arraycopy(bytes, i, d, 0, Digest.LENGTH);
            actions.add(new Digest(d));
        }
        return actions;
    }

    /** Replaces the record with this session's actions, if it asked for any. */
    void save() throws IOException {
        List<Digest> now;
        synchronized (asked) {
            now = List.copyOf(asked);
        }
        if (now.isEmpty()) {
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(now.size() * Digest.LENGTH);
        now.forEach(d -> buf.put(d.bytes()));
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".prefetch-", ".tmp");
        try {
            Files.write(tmp, buf.array());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
