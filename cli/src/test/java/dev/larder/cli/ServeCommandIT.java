package dev.larder.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        Path logFile = tmp.resolve("serve.log");
        Process p = new ProcessBuilder(GoCacheProgIT.larder().toString(), "serve", "--listen", "127.0.0.1:0",
                "--dir", store.toString(), "--token-file", token.toString())
                .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        String base = null;
        for (int i = 0; i < 1200 && base == null && p.isAlive(); i++) {
            Matcher m = URL.matcher(Files.readString(logFile, UTF_8));
            if (m.find()) {
                base = m.group(1);
            } else {
                Thread.sleep(50); // polling the log for the address it prints once listening
            }
        }
        assertTrue(base != null, "larder serve printed no address: " + Files.readString(logFile, UTF_8));

        HttpClient http = HttpClient.newHttpClient();
        byte[] body = "served over http".getBytes(UTF_8);
        String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
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

        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "larder serve did not stop on SIGTERM");
        String log = Files.readString(logFile, UTF_8);
        assertEquals(143, p.exitValue(), log);
        assertTrue(log.contains("larder serve: stopping"), log);
        assertTrue(log.contains("PUT /cas/" + key + " 201"), log);
    }
}
