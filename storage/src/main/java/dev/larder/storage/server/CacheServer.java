package dev.larder.storage.server;

import com.sun.net.httpserver.HttpExchange;
import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.bazel.ActionResultCodec;
import dev.larder.storage.h2.LocalStore;
import dev.larder.storage.trust.RecordKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves a local store over the Bazel HTTP remote-cache protocol, as bazel-remote does:
 * {@code GET/HEAD/PUT /cas/<sha256 hex>} for bodies, verified against their key, and
 * {@code GET/HEAD/PUT /ac/<action hex>} for action records ({@link ActionResultCodec}), accepted
 * only when the output they name is already in {@code /cas/}. Status codes are chosen here, at the edge; the store
 * throws. Thread-safe; many clients at once, each connection bounded ({@link ConnectionSettings#DEFAULTS}: clients
 * that stall or trickle are closed, a refused body is never read).
 *
 * <p>With trusted keys ({@link RecordKeys#trust()}), an {@code /ac/} PUT is accepted only when one
 * of them signed the record (403 otherwise). With a signing key, a record accepted without a
 * signature one of those keys vouches for is signed by the server as it stores it. A record is
 * kept with its signature and served as it came ({@link LocalStore#link(Digest, StoredOutput)}).
 */
public final class CacheServer implements AutoCloseable {
    private static final Pattern PATH = Pattern.compile("/(ac|cas)/([0-9a-f]{64})");
    private static final int MAX_RECORD = ActionResultCodec.MAX_RECORD;

    private final LocalStore store;
    private final Optional<String> token;
    private final boolean readOnly;
    private final long maxBody;
    private final PrintStream accessLog;
    private final RecordKeys keys;
    private final BoundedHttpServer http;

    private CacheServer(LocalStore store, InetSocketAddress listen, Optional<String> token, boolean readOnly, long maxBody,
            PrintStream accessLog, RecordKeys keys, ConnectionSettings limits) throws IOException {
        this.store = store;
        this.keys = keys;
        this.token = token;
        this.readOnly = readOnly;
        this.maxBody = maxBody;
        this.accessLog = accessLog;
        this.http = BoundedHttpServer.start(listen, 128, limits, this::handle);
    }

    /**
     * Starts serving {@code store} on {@code listen}.
     *
     * @param token     when present, PUTs must carry {@code Authorization: Bearer <token>}
     * @param readOnly  refuse every PUT
     * @param maxBody   largest body accepted, in bytes
     * @param accessLog one line per request, every field escaped ({@link #printable(String)})
     */
    public static CacheServer start(LocalStore store, InetSocketAddress listen, Optional<String> token,
            boolean readOnly, long maxBody, PrintStream accessLog) throws IOException {
        return start(store, listen, token, readOnly, maxBody, accessLog, RecordKeys.NONE);
    }

    /**
     * As {@link #start(LocalStore, InetSocketAddress, Optional, boolean, long, PrintStream)}, with
     * {@code keys}: the records it accepts must be signed by a trusted key, if any; those that
     * are not signed so are signed with the signing key, if any.
     */
    public static CacheServer start(LocalStore store, InetSocketAddress listen, Optional<String> token,
            boolean readOnly, long maxBody, PrintStream accessLog, RecordKeys keys) throws IOException {
        return new CacheServer(store, listen, token, readOnly, maxBody, accessLog, keys, ConnectionSettings.DEFAULTS);
    }

    /** As {@link #start(LocalStore, InetSocketAddress, Optional, boolean, long, PrintStream)}, with {@code limits} on connections. */
    static CacheServer start(LocalStore store, InetSocketAddress listen, Optional<String> token, boolean readOnly,
            long maxBody, PrintStream accessLog, ConnectionSettings limits) throws IOException {
        return new CacheServer(store, listen, token, readOnly, maxBody, accessLog, RecordKeys.NONE, limits);
    }

    /** The port it listens on (useful when started on port 0). */
    public int port() {
        return http.port();
    }

    private void handle(HttpExchange x) throws IOException {
        long t0 = System.nanoTime();
        int status;
        long bytes = 0;
        try (x) {
            Matcher m = PATH.matcher(x.getRequestURI().getPath());
            if (!m.matches()) {
                status = reply(x, 404, "not found: want /ac/<64 hex digits> or /cas/<64 hex digits>");
            } else {
                boolean cas = m.group(1).equals("cas");
                Digest key = Digest.fromHex(m.group(2));
                String method = x.getRequestMethod();
                if (method.equals("GET") || method.equals("HEAD")) {
                    long[] sent = new long[1];
                    status = cas ? getBlob(x, key, method.equals("HEAD"), sent) : getRecord(x, key, method.equals("HEAD"), sent);
                    bytes = sent[0];
                } else if (method.equals("PUT")) {
                    status = put(x, cas, key);
                } else {
                    x.getResponseHeaders().set("Allow", "GET, HEAD, PUT");
                    status = reply(x, 405, "method " + method + " not allowed");
                }
            }
        } catch (IOException | RuntimeException e) {
            status = 500;
            try {
                reply(x, 500, "store failed: " + e.getMessage());
            } catch (IOException | RuntimeException ignored) {
                // the client is gone
            }
        }
        accessLog.printf("larder serve: %s %s %s %d %d bytes %d ms%n",
                printable(x.getRemoteAddress().getAddress().getHostAddress()), printable(x.getRequestMethod()),
                printable(x.getRequestURI().getPath()), status, bytes, (System.nanoTime() - t0) / 1_000_000);
    }

    private int getBlob(HttpExchange x, Digest key, boolean head, long[] sent) throws IOException {
        Optional<Path> blob = store.blob(key);
        if (blob.isEmpty()) {
            return reply(x, 404, "no such blob");
        }
        long size;
        try (InputStream in = Files.newInputStream(blob.get())) {
            size = Files.size(blob.get());
            x.getResponseHeaders().set("Content-Type", "application/octet-stream");
            x.sendResponseHeaders(200, head ? -1 : size == 0 ? -1 : size);
            if (!head) {
                try (OutputStream out = x.getResponseBody()) {
                    sent[0] = in.transferTo(out);
                }
            }
        } catch (java.nio.file.NoSuchFileException trimmed) {
            return reply(x, 404, "no such blob");
        }
        return 200;
    }

    private int getRecord(HttpExchange x, Digest action, boolean head, long[] sent) throws IOException {
        Optional<Entry> e = store.get(action);
        if (e.isEmpty()) {
            return reply(x, 404, "no such action");
        }
        byte[] record = ActionResultCodec.encode(e.get().record());
        x.getResponseHeaders().set("Content-Type", "application/octet-stream");
        x.sendResponseHeaders(200, head ? -1 : record.length);
        if (!head) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(record);
            }
            sent[0] = record.length;
        }
        return 200;
    }

    private int put(HttpExchange x, boolean cas, Digest key) throws IOException {
        if (readOnly) {
            return reply(x, 403, "this cache is read-only");
        }
        if (token.isPresent() && !authorized(x.getRequestHeaders().getFirst("Authorization"))) {
            x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            return reply(x, 401, "a PUT needs Authorization: Bearer <token>");
        }
        String length = x.getRequestHeaders().getFirst("Content-Length");
        long size;
        try {
            size = length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return reply(x, 400, "Content-Length is not a number: " + length);
        }
        if (size < 0) {
            return reply(x, 411, "a PUT needs a Content-Length");
        }
        if (size > (cas ? maxBody : MAX_RECORD)) {
            return reply(x, 413, "body of " + size + " bytes, the limit is " + (cas ? maxBody : MAX_RECORD));
        }
        try (InputStream body = x.getRequestBody()) {
            if (cas) {
                store.putBlob(key, size, body);
                return reply(x, 201, "");
            }
            StoredOutput r;
            try {
                r = ActionResultCodec.decode(body.readNBytes((int) size));
            } catch (IllegalArgumentException e) {
                return reply(x, 400, e.getMessage());
            }
            boolean vouched = keys.trust().isPresent() && keys.trust().get().trusts(key, r);
            if (keys.trust().isPresent() && !vouched) {
                return reply(x, 403, "the record is " + (r.signature().isEmpty() ? "not signed" : "signed by no key this "
                        + "cache trusts") + "; this cache stores only records its trusted keys signed");
            }
            if (!vouched && keys.signer().isPresent()) {
                StoredOutput plain = new StoredOutput(r.output(), r.size(), Instant.now());
                r = plain.signed(keys.signer().get().sign(key, plain));
            }
            if (!store.link(key, r)) {
                return reply(x, 400, "the output it names (" + r.output() + ", " + r.size()
                        + " bytes) is not in /cas/: upload it first");
            }
            return reply(x, 201, "");
        } catch (BodyMismatchException e) {
            return reply(x, 400, e.getMessage());
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        byte[] given = header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token.get().getBytes(StandardCharsets.UTF_8));
    }

    private static int reply(HttpExchange x, int status, String message) throws IOException {
        // A HEAD reply has no body (the JDK server warns at every one that declares a length).
        boolean head = "HEAD".equals(x.getRequestMethod());
        byte[] b = message.isEmpty() || head ? new byte[0] : (message + "\n").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(b);
            }
        }
        return status;
    }

    /**
     * {@code s} as one line of printable text, for the access log: a backslash, every control
     * character (a decoded {@code %0a} in a path would start a forged line) and every other
     * character that is not printable are written as a backslash, then {@code xNN} (for ASCII) or
     * {@code uNNNN} (the UTF-16 unit in hex).
     */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int type = Character.getType(c);
            if (c == '\\' || c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else if (c > 0x7e && (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)
                    || type == Character.FORMAT || type == Character.UNASSIGNED || type == Character.SURROGATE
                    || type == Character.PRIVATE_USE || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Stops accepting, lets requests in progress finish (up to 5 s), and stops. The store stays open. */
    @Override
    public void close() {
        http.close();
    }
}
