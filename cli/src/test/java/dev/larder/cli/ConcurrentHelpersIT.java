package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two helper processes on one store at the same time, as two go commands started together
 * would run: neither fails on the other's lock, each sees the other's puts, and the second goes
 * on working after the first (which opened the index and serves it to the other) exits.
 */
class ConcurrentHelpersIT {
    @TempDir
    Path tmp;

    private ProtocolClient helper(String name) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(GoCacheProgIT.larder().toString(), "helper",
                "--dir", tmp.resolve("store").toString()))
                .redirectError(tmp.resolve(name + ".err").toFile());
        return ProtocolClient.start(pb, Duration.ofMinutes(2));
    }

    private static ActionId action(String name) throws Exception {
        return new ActionId(DigestUtils.sha256(name.getBytes(StandardCharsets.UTF_8)));
    }

    private Response ok(ProtocolClient c, java.util.concurrent.CompletableFuture<Response> f, String what)
            throws Exception {
        Response r = f.get(2, TimeUnit.MINUTES);
        if (r.isError()) {
            throw new AssertionError(what + ": got " + r + ", want success; stderr:\n" + stderr());
        }
        return r;
    }

    private String stderr() throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("a", "b", "c")) {
            Path p = tmp.resolve(name + ".err");
            if (Files.exists(p)) {
                sb.append(name).append(": ").append(Files.readString(p)).append('\n');
            }
        }
        return sb.toString();
    }

    @Test
    void twoHelpersOnOneStore_shareEntriesAndSurviveTheOwnerExiting() throws Exception {
        ProtocolClient a = helper("a");
        ok(a, a.get(action("warm-up")), "a: first get (opens the index)");
        ProtocolClient b = helper("b");
        byte[] fromA = "put by a".getBytes(StandardCharsets.UTF_8);
        byte[] fromB = "put by b".getBytes(StandardCharsets.UTF_8);

        ok(a, a.put(action("x"), fromA), "a: put x");
        Response seenByB = ok(b, b.get(action("x")), "b: get x");
        assertFalse(seenByB.miss(), "b: get x after a put it: got a miss");
        assertArrayEquals(fromA, Files.readAllBytes(Path.of(seenByB.diskPath())), "b: bytes of x");

        ok(b, b.put(action("y"), fromB), "b: put y");
        assertFalse(ok(a, a.get(action("y")), "a: get y").miss(), "a: get y after b put it: got a miss");

        a.close();
        assertEquals(0, a.exitStatus().orElseThrow(), "a: exit status");

        byte[] later = "put by b after a left".getBytes(StandardCharsets.UTF_8);
        ok(b, b.put(action("z"), later), "b: put z after a exited");
        Response z = ok(b, b.get(action("z")), "b: get z after a exited");
        assertArrayEquals(later, Files.readAllBytes(Path.of(z.diskPath())), "b: bytes of z");
        assertFalse(ok(b, b.get(action("x")), "b: get x after a exited").miss(), "b: x after a exited");
        b.close();
        assertEquals(0, b.exitStatus().orElseThrow(), "b: exit status");

        ProtocolClient c = helper("c");
        for (String name : List.of("x", "y", "z")) {
            assertTrue(!ok(c, c.get(action(name)), "c: get " + name).miss(), "c: " + name + " after both left");
        }
        c.close();
    }
}
