package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.Response;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bodies are streamed: a 256 MiB put succeeds in a helper whose heap is limited to 64 MiB. */
class LargeBodyIT {
    private static final long SIZE = 256L << 20;

    @TempDir
    Path tmp;

    @Test
    void put_256MiBWithXmx64m_isStoredIntact() throws Exception {
        MessageDigest md = DigestUtils.getSha256Digest();
        try (InputStream in = new DigestInputStream(new PatternStream(42, SIZE), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        OutputId output = new OutputId(md.digest());
        ActionId action = new ActionId(DigestUtils.sha256("large".getBytes()));

        ProcessBuilder pb = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-jar", System.getProperty("larder.jar"),
                "helper", "--dir", tmp.resolve("store").toString()))
                .redirectError(tmp.resolve("stderr.txt").toFile());
        ProtocolClient client = ProtocolClient.start(pb, Duration.ofSeconds(60));
        Response put = client.put(action, output, SIZE, new PatternStream(42, SIZE)).get(5, TimeUnit.MINUTES);
        assertFalse(put.isError(), "put: got " + put + ", want success; stderr: "
                + Files.readString(tmp.resolve("stderr.txt")));
        assertEquals(SIZE, put.size(), "put Size");
        Response get = client.get(action).get(1, TimeUnit.MINUTES);
        client.close();
        assertEquals(0, client.exitStatus().orElseThrow(), "helper exit status");

        Path blob = Path.of(get.diskPath());
        assertEquals(SIZE, Files.size(blob), "blob size");
        MessageDigest check = DigestUtils.getSha256Digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(blob), check)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        assertEquals(output, new OutputId(check.digest()), "blob sha256");
    }
}
