package dev.larder.storage.http;

import dev.larder.storage.Backend;
import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.VerifiedCopy;
import dev.larder.storage.bazel.ActionResultCodec;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * A client of a Bazel HTTP remote cache (bazel-remote, nginx with WebDAV PUT, {@code larder
 * serve}): action records under {@code /ac/}, bodies under {@code /cas/}. Everything it reads
 * from the cache is untrusted and bounded: the timeout bounds the wait for each response's start
 * and then for each read of its body (the idle timeout), and every body must be read to its end
 * before an overall deadline ({@link #deadline(Duration, long)}: four timeouts, plus one per MiB
 * of a {@code /cas/} body); a record longer than {@link ActionResultCodec#MAX_RECORD} bytes is
 * refused after that many bytes. A body fetched is verified (its length and SHA-256) before the
 * call returns, so nothing it returns can be tampered with. Redirects are never followed (the
 * cache protocol has none, and following one would carry the token to another origin): a 3xx is
 * an error. Thread-safe.
 */
final class HttpRemote implements Backend {
    private final URI base;
    private final Optional<String> token;
    private final Duration timeout;
    private final HttpClient http;
    private final InstantSource clock;
    /** The most of an error reply's body put into a message. */
    private static final int MAX_MESSAGE = 512;
    private static final long MIB = 1024 * 1024;

    private HttpRemote(URI base, Optional<String> token, Duration timeout, InstantSource clock) {
        this.base = base;
        this.token = token;
        this.timeout = timeout;
        this.clock = clock;
        // Plain http: HTTP/1.1 outright. The default (HTTP/2) sends every request with an h2c
        // upgrade offer that caches such as larder serve ignore; https negotiates HTTP/2 by ALPN.
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .version("https".equalsIgnoreCase(base.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * A client of the cache at {@code base} ({@code http://host:port/prefix/}); {@code token},
     * when present, is sent as {@code Authorization: Bearer}.
     */
    static HttpRemote create(URI base, Optional<String> token, Duration timeout) {
        return create(base, token, timeout, InstantSource.system());
    }

    /** As {@link #create(URI, Optional, Duration)}, stamping uploaded records with {@code clock}'s time. */
    static HttpRemote create(URI base, Optional<String> token, Duration timeout, InstantSource clock) {
        String s = base.toString();
        return new HttpRemote(URI.create(s.endsWith("/") ? s : s + "/"), token, timeout, clock);
    }

    /**
     * The overall deadline for reading a {@code /cas/} body of {@code size} bytes (0 for a record
     * or an error reply), counted from the request's start: four timeouts, plus one timeout per
     * started MiB of the body, so a server sending less than 1 MiB per timeout fails a big body
     * even if it never stalls for a whole timeout.
     */
    static Duration deadline(Duration timeout, long size) {
        long mibs = Math.max(size, 0) / MIB + (Math.max(size, 0) % MIB == 0 ? 0 : 1);
        return timeout.multipliedBy(4 + mibs);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The stream is the response body as it arrives; the timeout bounds the wait for the
     * response's start and then for each read, and the body must be read to its end within
     * {@link #deadline(Duration, long)} of the request's start, so a server that stalls or
     * trickles mid-body fails the read.
     */
    @Override
    public Optional<InputStream> open(Digest output, long size) throws IOException {
        long start = System.nanoTime();
        HttpResponse<InputStream> r = send(request("cas/" + output).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() == 200) {
            return Optional.of(bounded(r, start, size, "cas/" + output));
        }
        skipRest(r, start, "cas/" + output);
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        throw new IOException(base + ": GET cas/" + output + " answered " + r.statusCode() + redirect(r) + ", want 200");
    }

    @Override
    public void store(Digest action, Digest output, long size, Path file) throws IOException {
        store(action, new StoredOutput(output, size, clock.instant()), file);
    }

    /** {@inheritDoc} The record's time and signature are uploaded as given ({@link ActionResultCodec}). */
    @Override
    public void store(Digest action, StoredOutput record, Path file) throws IOException {
        putBlob(record.output(), file);
        putAction(action, record);
    }

    /** Nothing to release: connections are pooled by the JDK's client and closed when idle. */
    @Override
    public void close() {
        // java.net.http.HttpClient has no close() before Java 21
    }

    /** The cache's address, for messages. */
    URI base() {
        return base;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return b;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The record is {@code /ac/<action>}, read as an ActionResult; its time is
     * {@link java.time.Instant#EPOCH} if the record has none. It is read under the idle timeout
     * and the overall deadline, and at most {@link ActionResultCodec#MAX_RECORD} bytes of it.
     *
     * @throws IOException if the cache cannot be reached, answers with an error or a redirect,
     *                     stalls, sends a record longer than the cap, or the record is not an
     *                     ActionResult naming an output
     */
    @Override
    public Optional<StoredOutput> find(Digest action) throws IOException {
        long start = System.nanoTime();
        HttpResponse<InputStream> r = send(request("ac/" + action).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] record;
        try (InputStream body = r.body()) {
            if (r.statusCode() == 404) {
                skipRest(r, start, "ac/" + action);
                return Optional.empty();
            }
            expect(r, 200, "GET ac/" + action);
            record = readRecord(r, start, "ac/" + action);
        }
        try {
            return Optional.of(ActionResultCodec.decode(record));
        } catch (IllegalArgumentException e) {
            throw new IOException(base + "ac/" + action + ": " + e.getMessage(), e);
        }
    }

    /** The body of {@code r}, at most {@link ActionResultCodec#MAX_RECORD} bytes, read under the timeouts. */
    private byte[] readRecord(HttpResponse<InputStream> r, long start, String path) throws IOException {
        long declared = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > ActionResultCodec.MAX_RECORD) {
            throw new IOException(base + path + ": a record of " + declared + " bytes, the limit is "
                    + ActionResultCodec.MAX_RECORD + ": refused");
        }
        byte[] record = bounded(r, start, 0, path).readNBytes(ActionResultCodec.MAX_RECORD + 1);
        if (record.length > ActionResultCodec.MAX_RECORD) {
            throw new IOException(base + path + ": a record longer than " + ActionResultCodec.MAX_RECORD
                    + " bytes: refused");
        }
        return record;
    }

    /**
     * Reads and drops the (short) rest of the body of {@code r}, at most {@value #MAX_MESSAGE}
     * bytes under the timeouts, and closes it: a body read to its end leaves the connection to
     * the pool for the next request, where closing it early would close the connection.
     */
    private void skipRest(HttpResponse<InputStream> r, long start, String path) {
        try (InputStream in = bounded(r, start, 0, path)) {
            in.readNBytes(MAX_MESSAGE);
        } catch (IOException e) {
            // the connection is closed instead; nothing was expected of this body
        }
    }

    /** The body of {@code r} under the idle timeout and the deadline for a {@code size}-byte body from {@code start}. */
    private InputStream bounded(HttpResponse<InputStream> r, long start, long size, String path) {
        return new IdleTimeoutInputStream(r.body(), timeout, start, deadline(timeout, size), base + path);
    }

    /**
     * Downloads the body of {@code output} into {@code into} (replacing it), verifying it.
     *
     * @return false if the cache does not have it ({@code into} is then left absent)
     * @throws IOException if the cache cannot be reached or errs, or sends other bytes than
     *                     {@code size} bytes hashing to {@code output} ({@code into} is deleted)
     */
    boolean fetchBlob(Digest output, long size, Path into) throws IOException {
        Optional<InputStream> body = open(output, size);
        if (body.isEmpty()) {
            return false;
        }
        try (InputStream in = body.get()) {
            VerifiedCopy.to(into, in, size, output);
            return true;
        } catch (BodyMismatchException e) {
            throw new IOException(base + "cas/" + output + ": " + e.getMessage() + ": refused", e);
        } catch (IOException e) {
            Files.deleteIfExists(into);
            throw e;
        }
    }

    /** Uploads {@code from} as the body of {@code output}, unless the cache has it already. */
    void putBlob(Digest output, Path from) throws IOException {
        HttpResponse<Void> head = send(request("cas/" + output).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.discarding());
        if (head.statusCode() == 200) {
            return;
        }
        long start = System.nanoTime();
        HttpResponse<InputStream> r = send(request("cas/" + output).PUT(HttpRequest.BodyPublishers.ofFile(from)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        expectPut(r, start, "PUT cas/" + output);
    }

    /** Uploads the record of {@code action}, as an ActionResult ({@link ActionResultCodec}). */
    void putAction(Digest action, StoredOutput record) throws IOException {
        long start = System.nanoTime();
        HttpResponse<InputStream> r = send(request("ac/" + action).PUT(HttpRequest.BodyPublishers.ofByteArray(
                ActionResultCodec.encode(record)))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        expectPut(r, start, "PUT ac/" + action);
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + req.method() + " " + req.uri(), e);
        } catch (IOException e) {
            throw new IOException(req.method() + " " + req.uri() + ": " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
    }

    private void expect(HttpResponse<?> r, int want, String what) throws IOException {
        if (r.statusCode() != want) {
            throw new IOException(base + ": " + what + " answered " + r.statusCode() + redirect(r) + ", want " + want);
        }
    }

    /** Fails unless {@code r} is a PUT's success; the start of an error reply's body goes into the message. */
    private void expectPut(HttpResponse<InputStream> r, long start, String what) throws IOException {
        int s = r.statusCode();
        try (InputStream in = r.body()) {
            if (s == 200 || s == 201 || s == 204) {
                skipRest(r, start, what);
                return;
            }
            String body;
            try {
                body = printable(new String(bounded(r, start, 0, what).readNBytes(MAX_MESSAGE),
                        StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                body = "";
            }
            throw new IOException(base + ": " + what + " answered " + s + redirect(r) + (body.isEmpty() ? "" : ": " + body));
        }
    }

    /** For a 3xx, why it is not followed, with where it pointed; else nothing. */
    private static String redirect(HttpResponse<?> r) {
        if (r.statusCode() < 300 || r.statusCode() > 399) {
            return "";
        }
        String to = r.headers().firstValue("Location").map(l -> " to " + printable(l.length() > 200 ? l.substring(0, 200) + "..." : l))
                .orElse("");
        return " (a redirect" + to + ": not followed, the cache protocol has none)";
    }

    /** {@code s} with every control or other non-printable character replaced by {@code ?}, for messages. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) || !Character.isDefined(c) ? '?' : c));
        return b.toString();
    }
}
