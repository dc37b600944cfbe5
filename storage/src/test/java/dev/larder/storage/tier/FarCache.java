package dev.larder.storage.tier;

import dev.larder.storage.h2.LocalStore;
import dev.larder.storage.server.CacheServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;

/**
 * A far tier shared by several "machines": larder's own {@link CacheServer} on a loopback port
 * over a real local store, which tests read to see what was uploaded. (Its access log is written
 * after the reply, so it is not used to count requests; {@link FakeRemote} counts those.)
 */
final class FarCache implements AutoCloseable {
    /** Large enough for the contract's 256 MiB body: the far tier takes what the near one takes. */
    private static final long MAX_BODY = 1L << 30;

    private final LocalStore store;
    private final CacheServer server;

    private FarCache(LocalStore store, CacheServer server) {
        this.store = store;
        this.server = server;
    }

    /** Serves a store in {@code dir}; PUTs need {@code token} when one is given. */
    static FarCache start(Path dir, Optional<String> token, InstantSource clock) throws IOException {
        LocalStore store = LocalStore.open(dir, clock);
        try {
            CacheServer server = CacheServer.start(store, new InetSocketAddress("127.0.0.1", 0), token, false, MAX_BODY,
                    new PrintStream(OutputStream.nullOutputStream()));
            return new FarCache(store, server);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The {@code --store} value of this cache. */
    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The store behind the server, to look at what was uploaded. */
    LocalStore store() {
        return store;
    }

    /** Stops the server, then closes its store. */
    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            store.close();
        }
    }
}
