package dev.larder.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/larder serve} as a real process: HTTP on loopback, a token, a clean SIGTERM. */
class ServeCommandIT {
    private static final Pattern URL = Pattern.compile("larder serve: (http://127\\.0\\.0\\.1:\\d+/) serving");

    @TempDir
    Path tmp;

    @Test
    void serve_putAndGetOverHttp_thenStopsCleanlyOnSigterm() throws Exception {
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
        assertTrue(log.toString().contains("PUT /cas/" + key + " 201"), log.toString());
    }
}
