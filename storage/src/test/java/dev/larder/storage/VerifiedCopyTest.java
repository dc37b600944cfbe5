package dev.larder.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one verified streaming copy: what it writes, what it reads, how it words a mismatch. */
class VerifiedCopyTest {
    private static final byte[] BODY = "five!".getBytes(UTF_8);

    @TempDir
    Path dir;

    @Test
    void to_rightBody_writesIt() throws IOException {
        Path into = dir.resolve("f");
        Files.writeString(into, "an older, longer content");
        VerifiedCopy.to(into, new ByteArrayInputStream(BODY), BODY.length, Digest.sha256(BODY));
        assertArrayEquals(BODY, Files.readAllBytes(into), "content of " + into);
    }

    @Test
    void to_shorterBody_saysGotAndDeclaredAndDeletes() throws IOException {
        Path into = dir.resolve("f");
        BodyMismatchException e = assertThrows(BodyMismatchException.class, () -> VerifiedCopy.to(into,
                new ByteArrayInputStream(BODY, 0, 3), BODY.length, Digest.sha256(BODY), "put body"));
        assertEquals("put body: got 3 bytes, declared 5", e.getMessage(), "message");
        assertFalse(Files.exists(into), "file after a mismatch: got one, want none");
    }

    @Test
    void to_longerBody_readsOneBytePastTheSize() throws IOException {
        Path into = dir.resolve("f");
        byte[] longer = "five! and more".getBytes(UTF_8);
        ByteArrayInputStream in = new ByteArrayInputStream(longer);
        BodyMismatchException e = assertThrows(BodyMismatchException.class,
                () -> VerifiedCopy.to(into, in, BODY.length, Digest.sha256(BODY)));
        assertEquals("body: got more than 5 bytes, declared 5", e.getMessage(), "message");
        assertEquals(longer.length - BODY.length - 1, in.available(), "bytes left unread");
        assertFalse(Files.exists(into), "file after a mismatch: got one, want none");
    }

    @Test
    void to_otherBytes_saysBothHashes() throws IOException {
        Path into = dir.resolve("f");
        byte[] other = "six!!".getBytes(UTF_8);
        BodyMismatchException e = assertThrows(BodyMismatchException.class, () -> VerifiedCopy.to(into,
                new ByteArrayInputStream(other), other.length, Digest.sha256(BODY), "put body"));
        assertEquals("put body: got sha256 " + Digest.sha256(other) + ", declared " + Digest.sha256(BODY),
                e.getMessage(), "message");
        assertFalse(Files.exists(into), "file after a mismatch: got one, want none");
    }

    @Test
    void to_negativeSize_isRefused() {
        BodyMismatchException e = assertThrows(BodyMismatchException.class, () -> VerifiedCopy.to(dir.resolve("f"),
                new ByteArrayInputStream(BODY), -1, Digest.sha256(BODY), "put body"));
        assertEquals("put body: declared size -1, want >= 0", e.getMessage(), "message");
    }
}
