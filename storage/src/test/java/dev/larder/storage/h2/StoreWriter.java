package dev.larder.storage.h2;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.larder.storage.Digest;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;

/**
 * {@code StoreWriter DIR}: opens the local store in DIR, puts an output, replaces it, uploads a
 * blob alone, and exits: a store used by a process of its own (whose umask the test chose).
 */
public final class StoreWriter {
    private StoreWriter() {
    }

    public static void main(String[] args) throws Exception {
        try (LocalStore s = LocalStore.open(Path.of(args[0]))) {
            for (String body : new String[] {"first output", "second output"}) {
                byte[] b = body.getBytes(UTF_8);
                s.put(Digest.sha256("action".getBytes(UTF_8)), Digest.sha256(b), b.length, new ByteArrayInputStream(b));
            }
            byte[] alone = "uploaded alone".getBytes(UTF_8);
            s.putBlob(Digest.sha256(alone), alone.length, new ByteArrayInputStream(alone));
            s.stats(1);
        }
        System.exit(0);
    }
}
