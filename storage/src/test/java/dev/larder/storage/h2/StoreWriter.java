package dev.larder.storage.h2;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * {@code StoreWriter DIR [get:ACTION=BODY | put:ACTION=BODY]...}: a store used by a process of its
 * own (whose umask or user the test chose). With no operations it puts an output, replaces it
 * and uploads a blob alone; else it runs the operations in order, a get failing (exit 3) unless it
 * hits with BODY. Exits 0 when all went well.
 */
public final class StoreWriter {
    private StoreWriter() {
    }

    private static void put(LocalStore s, String action, String body) throws Exception {
        byte[] b = body.getBytes(UTF_8);
        s.put(Digest.sha256(action.getBytes(UTF_8)), Digest.sha256(b), b.length, new ByteArrayInputStream(b));
    }

    public static void main(String[] args) throws Exception {
        try (LocalStore s = LocalStore.open(Path.of(args[0]))) {
            if (args.length == 1) {
                put(s, "action", "first output");
                put(s, "action", "second output");
                byte[] alone = "uploaded alone".getBytes(UTF_8);
                s.putBlob(Digest.sha256(alone), alone.length, new ByteArrayInputStream(alone));
                s.stats(1);
            }
            for (String op : Arrays.copyOfRange(args, 1, args.length)) {
                String[] kv = op.substring(4).split("=", 2);
                if (op.startsWith("put:")) {
                    put(s, kv[0], kv[1]);
                    continue;
                }
                Optional<Entry> e = s.get(Digest.sha256(kv[0].getBytes(UTF_8)));
                if (e.isEmpty() || !Files.readString(e.get().path(), UTF_8).equals(kv[1])) {
                    System.err.println("get " + kv[0] + ": got " + e + ", want " + kv[1]);
                    System.exit(3);
                }
            }
        }
        System.exit(0);
    }
}
