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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * A client of a Bazel HTTP remote cache (bazel-remote, nginx with WebDAV PUT, {@code larder
 * serve}): action records under {@code /ac/}, bodies under {@code /cas/}. Every call is bounded
 * by the timeout; a body fetched is verified (its length and SHA-256) before the call returns,
 * so nothing it returns can be tampered with. Thread-safe.
 */
final class HttpRemote implements Backend {
    private final URI base;
    private final Optional<String> token;
    private final Duration timeout;
    private final HttpClient http;
    private final InstantSource clock;

    private HttpRemote(URI base, Optional<String> token, Duration timeout, InstantSource clock) {
        this.base = base;
        this.token = token;
        this.timeout = timeout;
        this.clock = clock;
        // Plain http: HTTP/1.1 outright. The default (HTTP/2) sends every request with an h2c
        // upgrade offer that caches such as larder serve ignore; https negotiates HTTP/2 by ALPN.
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL)
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
     * {@inheritDoc}
     *
     * <p>The stream is the response body as it arrives; the timeout bounds the wait for the
     * response's start and then for each read, so a server that stalls mid-body fails the read.
     */
    @Override
    public Optional<InputStream> open(Digest output, long size) throws IOException {
        HttpResponse<InputStream> r = send(request("cas/" + output).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() == 200) {
            return Optional.of(new IdleTimeoutInputStream(r.body(), timeout, base + "cas/" + output));
        }
        r.body().close();
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        throw new IOException(base + ": GET cas/" + output + " answered " + r.statusCode() + ", want 200");
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
     * {@link java.time.Instant#EPOCH} if the record has none.
     *
     * @throws IOException if the cache cannot be reached, answers with an error, or the record
     *                     is not an ActionResult naming an output
     */
    @Override
    public Optional<StoredOutput> find(Digest action) throws IOException {
        HttpResponse<byte[]> r = send(request("ac/" + action).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        expect(r.statusCode(), 200, "GET ac/" + action);
        try {
            return Optional.of(ActionResultCodec.decode(r.body()));
        } catch (IllegalArgumentException e) {
            throw new IOException(base + "ac/" + action + ": " + e.getMessage(), e);
        }
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
        HttpResponse<String> r = send(request("cas/" + output).PUT(HttpRequest.BodyPublishers.ofFile(from)).build(),
                HttpResponse.BodyHandlers.ofString());
        expectPut(r, "PUT cas/" + output);
    }

    /** Uploads the record of {@code action}, as an ActionResult ({@link ActionResultCodec}). */
    void putAction(Digest action, StoredOutput record) throws IOException {
        HttpResponse<String> r = send(request("ac/" + action).PUT(HttpRequest.BodyPublishers.ofByteArray(
                ActionResultCodec.encode(record)))
                .build(), HttpResponse.BodyHandlers.ofString());
        expectPut(r, "PUT ac/" + action);
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

    private void expect(int got, int want, String what) throws IOException {
        if (got != want) {
            throw new IOException(base + ": " + what + " answered " + got + ", want " + want);
        }
    }

    private void expectPut(HttpResponse<String> r, String what) throws IOException {
        int s = r.statusCode();
        if (s != 200 && s != 201 && s != 204) {
            String body = r.body() == null ? "" : r.body().trim();
            throw new IOException(base + ": " + what + " answered " + s + (body.isEmpty() ? "" : ": " + body));
        }
    }
}
