package dev.larder.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/larder serve} as a real process: HTTP on loopback, a token, a clean SIGTERM, and
 * clients that stall without stopping it answering others.
 */
class ServeCommandIT {
    private static final Pattern URL = Pattern.compile("larder serve: (http://127\\.0\\.0\\.1:\\d+/) serving");

    @TempDir
    Path tmp;

    /** A running {@code larder serve}: its process, its output, what it printed so far, and its address. */
    private record Serve(Process p, BufferedReader out, StringBuilder log, String base) {
        /** SIGTERM, and the rest of its output once it has stopped (cleanly: exit 143). */
        String stop() throws Exception {
            // SIGTERM through the handle: Process.destroy() would also close our end of its output.
            p.toHandle().destroy();
            boolean stopping = false;
            for (String line; !stopping && (line = out.readLine()) != null; ) {
                log.append(line).append('\n');
                stopping = line.contains("larder serve: stopping");
            }
            assertTrue(stopping, "no shutdown line after SIGTERM: " + log);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "larder serve did not stop on SIGTERM");
            assertEquals(143, p.exitValue(), log.toString());
            for (String line; (line = out.readLine()) != null; ) {
                log.append(line).append('\n');
            }
            return log.toString();
        }
    }

    private Serve serve() throws Exception {
        Path token = Files.writeString(tmp.resolve("token"), "t0ken\n");
        Path store = tmp.resolve("store");
        Process p = new ProcessBuilder(GoCacheProgIT.larder().toString(), "serve", "--listen", "127.0.0.1:0",
                "--dir", store.toString(), "--token-file", token.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
        StringBuilder log = new StringBuilder();
        String base = null;
        for (String line; base == null && (line = out.readLine()) != null; ) {
            log.append(line).append('\n');
            Matcher m = URL.matcher(line);
            if (m.find()) {
                base = m.group(1);
            }
        }
        assertTrue(base != null, "larder serve printed no address: " + log);
        return new Serve(p, out, log, base);
    }

    @Test
    void serve_putAndGetOverHttp_thenStopsCleanlyOnSigterm() throws Exception {
        Serve serve = serve();
        String base = serve.base();
        HttpClient http = HttpClient.newHttpClient();
        byte[] body = "served over http".getBytes(UTF_8);
        String key = HexFormat.of().formatHex(DigestUtils.sha256(body));
        HttpResponse<Void> denied = http.send(HttpRequest.newBuilder(URI.create(base + "cas/" + key))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(401, denied.statusCode());
        HttpResponse<Void> put = http.send(HttpRequest.newBuilder(URI.create(base + "cas/" + key))
                .header("Authorization", "Bearer t0ken")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(201, put.statusCode());
        HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create(base + "cas/" + key)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, get.statusCode());
        assertArrayEquals(body, get.body());

        String log = serve.stop();
        assertTrue(log.contains("PUT /cas/" + key + " 201"), log);
    }

    @Test
    @Timeout(120)
    void serve_connectionsThatNeverFinishTheirHeadersOrBodies_doNotStopOthers() throws Exception {
        Serve serve = serve();
        URI base = URI.create(serve.base());
        byte[] body = "answered while others stall".getBytes(UTF_8);
        String key = HexFormat.of().formatHex(DigestUtils.sha256(body));
        List<Socket> stalled = new ArrayList<>();
        try {
            // More than the 16 workers the JDK's server had: half never finish their headers, half
            // declare a body they never send, without the token.
            for (int i = 0; i < 40; i++) {
                Socket s = new Socket(base.getHost(), base.getPort());
                stalled.add(s);
                s.getOutputStream().write((i % 2 == 0 ? "GET /cas/" + key + " HTTP/1.1\r\nHost: x\r\nX-Slow: a"
                        : "PUT /cas/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n").getBytes(UTF_8));
                s.getOutputStream().flush();
            }
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<Void> put = http.send(HttpRequest.newBuilder(base.resolve("cas/" + key)).timeout(Duration.ofSeconds(20))
                    .header("Authorization", "Bearer t0ken").PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(201, put.statusCode());
            HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(base.resolve("cas/" + key))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(body, get.body());
            // A path with an encoded line break is logged escaped, on its own line.
            HttpResponse<Void> forged = http.send(HttpRequest.newBuilder(base.resolve("cas/%0alarder%20serve:%20forged"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(404, forged.statusCode());
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
        String log = serve.stop();
        assertTrue(log.contains("GET /cas/\\x0alarder serve: forged 404"), log);
        assertTrue(log.lines().noneMatch(l -> l.startsWith("larder serve: forged")), log);
    }
}
