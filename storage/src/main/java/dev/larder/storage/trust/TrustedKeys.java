package dev.larder.storage.trust;

import dev.larder.storage.Digest;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The public keys whose signatures make a far tier's record usable. A record is trusted when one
 * of them verifies its {@link RecordSignature} over (action, output, size, time); a record with
 * no signature, or one no key verifies, is not. Immutable and thread-safe.
 */
public final class TrustedKeys {
    private final List<KeyText.Public> keys;

    private TrustedKeys(List<KeyText.Public> keys) {
        this.keys = List.copyOf(keys);
    }

    /**
     * The keys in {@code files}: each file holds public key lines ({@code larder-ed25519 <base64>
     * [comment]}, as {@code larder keygen} writes them); blank lines and lines starting with
     * {@code #} are skipped.
     *
     * @throws IOException if a file cannot be read, holds a line that is not a key (the message
     *                     names the file and line), or no file holds any key
     */
    public static TrustedKeys read(Collection<Path> files) throws IOException {
        List<KeyText.Public> keys = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            int before = keys.size();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                try {
                    keys.add(KeyText.parsePublic(line));
                } catch (IllegalArgumentException e) {
                    throw new IOException("trusted key " + f + ":" + (i + 1) + ": " + e.getMessage(), e);
                }
            }
            if (keys.size() == before) {
                throw new IOException("trusted key " + f + ": no key in it (want lines \"" + KeyText.PUBLIC_TAG
                        + " <base64 key> [comment]\", as larder keygen writes FILE.pub)");
            }
        }
        if (keys.isEmpty()) {
            throw new IOException("no trusted key files given");
        }
        return new TrustedKeys(keys);
    }

    /** How many keys are trusted. */
    public int size() {
        return keys.size();
    }

    /** Whether {@code record}, read as the record of {@code action}, is signed by one of these keys. */
    public boolean trusts(Digest action, StoredOutput record) {
        return signer(action, record).isPresent();
    }

    /** The comment of the key that signed {@code record} ("" for a key without one), if a trusted key did. */
    public Optional<String> signer(Digest action, StoredOutput record) {
        if (record.signature().isEmpty()) {
            return Optional.empty();
        }
        byte[] message = RecordSignature.message(action, record);
        byte[] sig = record.signature().get().bytes();
        for (KeyText.Public k : keys) {
            if (verifies(k.key(), message, sig)) {
                return Optional.of(k.comment());
            }
        }
        return Optional.empty();
    }

    private static boolean verifies(PublicKey key, byte[] message, byte[] sig) {
        try {
            Signature s = Signature.getInstance(KeyText.ALGORITHM);
            s.initVerify(key);
            s.update(message);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
