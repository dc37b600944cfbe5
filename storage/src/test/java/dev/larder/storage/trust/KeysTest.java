package dev.larder.storage.trust;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key files as larder keygen writes them, signing and verifying records, and the refusals. */
class KeysTest {
    @TempDir
    Path tmp;

    private static final Digest ACTION = Digest.sha256("action".getBytes(UTF_8));
    private static final StoredOutput RECORD = new StoredOutput(Digest.sha256("body".getBytes(UTF_8)), 4,
            Instant.parse("2031-02-03T04:05:06.123456789Z"));

    private Path key(String name, String comment) throws IOException {
        Path f = tmp.resolve(name);
        SigningKey.generate(f, comment);
        return f;
    }

    @Test
    void generate_writesAPrivateKeyOnlyItsOwnerReads_andOnePublicLine() throws IOException {
        Path f = tmp.resolve("ci.key");
        String line = SigningKey.generate(f, "ci@example  build");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), "mode of " + f);
        assertTrue(Files.readString(f).startsWith("-----BEGIN PRIVATE KEY-----\n"), "PEM: " + Files.readString(f));
        List<String> pub = Files.readAllLines(SigningKey.publicFile(f));
        assertEquals(List.of(line), pub, "the .pub file");
        assertTrue(line.matches("larder-ed25519 [A-Za-z0-9+/]{43}= ci@example build"), "public line: " + line);
    }

    @Test
    void generate_neverOverwrites() throws IOException {
        Path f = key("k", "");
        String before = Files.readString(f);
        assertThrows(FileAlreadyExistsException.class, () -> SigningKey.generate(f, ""));
        assertEquals(before, Files.readString(f), "the existing key");
        Path g = tmp.resolve("g");
        Files.writeString(SigningKey.publicFile(g), "mine\n");
        assertThrows(FileAlreadyExistsException.class, () -> SigningKey.generate(g, ""));
        assertFalse(Files.exists(g), "no private key is written when its .pub is in the way");
    }

    @Test
    void signed_isTrustedByItsKey_only() throws IOException {
        Path a = key("a", "a");
        Path b = key("b", "b");
        StoredOutput signed = RECORD.signed(SigningKey.read(a).sign(ACTION, RECORD));
        TrustedKeys trustA = TrustedKeys.read(List.of(SigningKey.publicFile(a)));
        TrustedKeys trustB = TrustedKeys.read(List.of(SigningKey.publicFile(b)));
        assertTrue(trustA.trusts(ACTION, signed), "a's key trusts a's signature");
        assertEquals("a", trustA.signer(ACTION, signed).orElseThrow(), "signer's comment");
        assertFalse(trustB.trusts(ACTION, signed), "b's key must not trust a's signature");
        assertFalse(trustA.trusts(ACTION, RECORD), "an unsigned record is never trusted");
    }

    @Test
    void rotation_bothKeysTrusted_eitherSignatureHolds() throws IOException {
        Path old = key("old", "old");
        Path current = key("new", "new");
        TrustedKeys both = TrustedKeys.read(List.of(SigningKey.publicFile(old), SigningKey.publicFile(current)));
        assertEquals(2, both.size(), "keys read");
        for (Path k : List.of(old, current)) {
            StoredOutput signed = RECORD.signed(SigningKey.read(k).sign(ACTION, RECORD));
            assertTrue(both.trusts(ACTION, signed), "signed by " + k);
        }
    }

    @Test
    void anyChange_breaksTheSignature() throws IOException {
        Path a = key("a", "");
        TrustedKeys trust = TrustedKeys.read(List.of(SigningKey.publicFile(a)));
        RecordSignature sig = SigningKey.read(a).sign(ACTION, RECORD);
        byte[] flipped = sig.bytes();
        flipped[17] ^= 1;
        Digest other = Digest.sha256("other".getBytes(UTF_8));
        List<StoredOutput> forged = List.of(
                RECORD.signed(RecordSignature.of(flipped)),
                new StoredOutput(other, RECORD.size(), RECORD.time()).signed(sig),
                new StoredOutput(RECORD.output(), RECORD.size() + 1, RECORD.time()).signed(sig),
                new StoredOutput(RECORD.output(), RECORD.size(), RECORD.time().plusNanos(1)).signed(sig));
        for (StoredOutput f : forged) {
            assertFalse(trust.trusts(ACTION, f), "forged " + f);
        }
        assertFalse(trust.trusts(other, RECORD.signed(sig)), "the record moved to another action");
        assertTrue(trust.trusts(ACTION, RECORD.signed(sig)), "the record as signed");
    }

    @Test
    void read_refusesAKeyOthersCanRead() throws IOException {
        Path a = key("a", "");
        Files.setPosixFilePermissions(a, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> SigningKey.read(a));
        assertTrue(e.getMessage().contains("chmod 600"), "message: " + e.getMessage());
    }

    @Test
    void read_refusesWhatIsNotAKey_namingFileAndLine() throws IOException {
        Path notPem = tmp.resolve("not-pem");
        Files.writeString(notPem, "hello\n");
        Files.setPosixFilePermissions(notPem, PosixFilePermissions.fromString("rw-------"));
        IOException e = assertThrows(IOException.class, () -> SigningKey.read(notPem));
        assertTrue(e.getMessage().contains("not a PEM private key"), "message: " + e.getMessage());

        Path pub = tmp.resolve("keys.pub");
        Path a = key("a", "");
        Files.writeString(pub, "# team keys\n\n" + Files.readString(SigningKey.publicFile(a)) + "larder-ed25519 AAAA\n");
        IOException bad = assertThrows(IOException.class, () -> TrustedKeys.read(List.of(pub)));
        assertTrue(bad.getMessage().contains(pub + ":4:"), "message names the line: " + bad.getMessage());

        Path empty = tmp.resolve("empty.pub");
        Files.writeString(empty, "# nothing\n");
        IOException none = assertThrows(IOException.class, () -> TrustedKeys.read(List.of(empty)));
        assertTrue(none.getMessage().contains("no key in it"), "message: " + none.getMessage());
    }
}
