package dev.larder.helper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.protocol.ProtocolClient;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One {@link CacheHelper#serve} session on a background thread, spoken to over two OS pipes, as
 * cmd/go speaks to a helper process over its stdin and stdout. The test side either hands both
 * ends to a {@link ProtocolClient} or writes and reads raw bytes.
 */
final class PipedHelper implements Closeable {
    /** Only turns a hang into a failure; nothing here measures speed. */
    static final Duration HANG_GUARD = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputStream toHelper;
    private final InputStream fromHelper;
    private final List<Closeable> ends = new ArrayList<>();
    private final CompletableFuture<Void> served = new CompletableFuture<>();
    private BufferedReader lines;

    private PipedHelper(Pipe in, Pipe out) {
        toHelper = Channels.newOutputStream(in.sink());
        fromHelper = Channels.newInputStream(out.source());
        ends.add(toHelper);
        ends.add(fromHelper);
        ends.add(in.source());
        ends.add(out.sink());
    }

    /** Starts serving; the handshake is the first thing {@link #output()} will yield. */
    static PipedHelper start(CacheHelper helper) throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        PipedHelper s = new PipedHelper(in, out);
        InputStream stdin = Channels.newInputStream(in.source());
        OutputStream stdout = Channels.newOutputStream(out.sink());
        Thread t = new Thread(() -> {
            try {
                helper.serve(stdin, stdout);
                s.served.complete(null);
            } catch (Throwable e) {
                s.served.completeExceptionally(e);
            }
        }, "helper-session");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** Completes when {@link CacheHelper#serve} returns, exceptionally if it threw. */
    CompletableFuture<Void> served() {
        return served;
    }

    /** A client that has received the handshake; closing it ends the session as cmd/go does. */
    ProtocolClient client() throws IOException {
        return ProtocolClient.connect(fromHelper, toHelper, HANG_GUARD);
    }

    /** The helper's stdout, raw. */
    InputStream output() {
        return fromHelper;
    }

    /**
     * Writes {@code bytes} to the helper's stdin on another thread (so the helper's replies never
     * block the test), then ends its input if {@code endInput}.
     */
    CompletableFuture<Void> feed(byte[] bytes, boolean endInput) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                toHelper.write(bytes);
                toHelper.flush();
                if (endInput) {
                    toHelper.close();
                }
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, "helper-session-feed");
        t.setDaemon(true);
        t.start();
        return done;
    }

    /** The next response line, parsed; fails at the end of output. */
    JsonNode readResponse() throws IOException {
        String line = reader().readLine();
        if (line == null) {
            throw new AssertionError("helper output: got end of output, want a response");
        }
        return JSON.readTree(line);
    }

    /** Every response line until the end of output, parsed. */
    List<JsonNode> readToEnd() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line; (line = reader().readLine()) != null; ) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private BufferedReader reader() {
        if (lines == null) {
            lines = new BufferedReader(new InputStreamReader(fromHelper, StandardCharsets.UTF_8));
        }
        return lines;
    }

    /** Closes every pipe end, which also ends a session a failed test left running. */
    @Override
    public void close() throws IOException {
        for (Closeable c : ends) {
            c.close();
        }
    }
}
