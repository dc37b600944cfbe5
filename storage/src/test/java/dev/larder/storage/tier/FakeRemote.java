package dev.larder.storage.tier;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Bazel HTTP remote cache that misbehaves as a test tells it to, on a loopback port. It notes
 * every request as it arrives, before answering, so a test can count what a tier was asked even
 * while the answer is held back. Each request runs on its own thread: one held-back answer does
 * not hold back the others.
 */
final class FakeRemote implements AutoCloseable {
    /** Answers one request; the request body has been read already. */
    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange x) throws IOException, InterruptedException;
    }

    private final HttpServer http;
    private final ExecutorService workers;
    private final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();

    private FakeRemote(HttpServer http, ExecutorService workers) {
        this.http = http;
        this.workers = workers;
    }

    static FakeRemote start(Handler handler) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-remote");
            t.setDaemon(true);
            return t;
        });
        FakeRemote fake = new FakeRemote(http, workers);
        http.createContext("/", x -> {
            try (x) {
                fake.requests.add(x.getRequestMethod() + " " + x.getRequestURI().getPath());
                x.getRequestBody().readAllBytes();
                handler.handle(x);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        http.setExecutor(workers);
        http.start();
        return fake;
    }

    /** Answers {@code status} with {@code body} (no body for HEAD or an empty one). */
    static void reply(HttpExchange x, int status, byte[] body) throws IOException {
        boolean none = body.length == 0 || x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, none ? -1 : body.length);
        if (!none) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static void reply(HttpExchange x, int status, String body) throws IOException {
        reply(x, status, body.getBytes(UTF_8));
    }

    /** The {@code --store} value of this cache. */
    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    /** Every request so far, as "METHOD /path", in the order they arrived. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    /** How many requests so far had {@code method}. */
    long count(String method) {
        return requests.stream().filter(r -> r.startsWith(method + " ")).count();
    }

    /** Stops at once; answers still held back are cut off. */
    @Override
    public void close() {
        http.stop(0);
        workers.shutdownNow();
    }
}
