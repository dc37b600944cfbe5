package dev.larder.storage.trust;

import dev.larder.storage.Digest;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.EnumSet;
import java.util.Set;

/**
 * An Ed25519 private key that signs the records larder writes to far tiers. Read from a PEM file
 * that only its owner may read (as ssh insists for its keys). Thread-safe.
 */
public final class SigningKey {
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final PrivateKey key;
    private final Path file;

    private SigningKey(PrivateKey key, Path file) {
        this.key = key;
        this.file = file;
    }

    /**
     * Reads the key in {@code file}.
     *
     * @throws IOException if it cannot be read, is readable by others than its owner, or is not
     *                     an Ed25519 private key in PEM (the message says which, and how to fix it)
     */
    public static SigningKey read(Path file) throws IOException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (mode.stream().anyMatch(OTHERS::contains)) {
            throw new IOException("signing key " + file + ": mode " + PosixFilePermissions.toString(mode)
                    + " lets others read it; refused (chmod 600 " + file + ")");
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        try {
            return new SigningKey(KeyText.parsePrivate(text), file);
        } catch (IllegalArgumentException e) {
            throw new IOException("signing key " + file + ": " + e.getMessage() + " (larder keygen writes one)", e);
        }
    }

    /**
     * Writes a new key pair: the private key to {@code file} (mode 0600, created afresh) and its
     * public key line to {@code file.pub} (mode 0644).
     *
     * @param comment the public line's comment (who the key is: "ci@example"); may be empty
     * @return the public key line
     * @throws FileAlreadyExistsException if either file exists (nothing is overwritten)
     */
    public static String generate(Path file, String comment) throws IOException {
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance(KeyText.ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no Ed25519 (Java 15 and later do)", e);
        }
        Path pub = publicFile(file);
        if (Files.exists(pub)) {
            throw new FileAlreadyExistsException(pub.toString(), null, "a public key is already there");
        }
        String line = KeyText.publicLine(pair.getPublic(), comment);
        // Created private (the mode is given at creation, so the key is never readable by others).
        try (SeekableByteChannel out = Files.newByteChannel(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            out.write(ByteBuffer.wrap(KeyText.privatePem(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII)));
        }
        Files.writeString(pub, line + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        return line;
    }

    /** Where the public key of the private key in {@code file} is written: {@code file.pub}. */
    public static Path publicFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".pub");
    }

    /** The signature of {@code record} as the record of {@code action} ({@link RecordSignature#message}). */
    public RecordSignature sign(Digest action, StoredOutput record) {
        try {
            Signature s = Signature.getInstance(KeyText.ALGORITHM);
            s.initSign(key);
            s.update(RecordSignature.message(action, record));
            return RecordSignature.of(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing with " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file it was read from, for messages. */
    public Path file() {
        return file;
    }
}
