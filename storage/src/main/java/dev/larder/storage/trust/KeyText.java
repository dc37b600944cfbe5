package dev.larder.storage.trust;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The text forms of larder's keys. A private key is PKCS#8 in PEM ({@code BEGIN PRIVATE KEY}),
 * as {@code openssl genpkey -algorithm ed25519} writes it and {@code openssl pkey} reads it. A
 * public key is one line: {@code larder-ed25519 <base64 of the 32 key bytes> [comment]}.
 */
final class KeyText {
    static final String ALGORITHM = "Ed25519";
    static final String PUBLIC_TAG = "larder-ed25519";
    private static final String PEM_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PEM_END = "-----END PRIVATE KEY-----";
    /** The X.509 SubjectPublicKeyInfo of an Ed25519 key is this prefix and the 32 key bytes (RFC 8410). */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final int RAW_LENGTH = 32;

    private KeyText() {
    }

    static String privatePem(PrivateKey key) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded());
        return PEM_BEGIN + "\n" + b64 + "\n" + PEM_END + "\n";
    }

    /** @throws IllegalArgumentException if {@code text} is not one PEM private key of Ed25519 */
    static PrivateKey parsePrivate(String text) {
        int begin = text.indexOf(PEM_BEGIN);
        int end = text.indexOf(PEM_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("not a PEM private key (want " + PEM_BEGIN + " ... " + PEM_END + ")");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + PEM_BEGIN.length(), end).strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the PEM body is not base64: " + e.getMessage(), e);
        }
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
        }
    }

    static String publicLine(PublicKey key, String comment) {
        byte[] x509 = key.getEncoded();
        byte[] raw = Arrays.copyOfRange(x509, x509.length - RAW_LENGTH, x509.length);
        String line = PUBLIC_TAG + " " + Base64.getEncoder().encodeToString(raw);
        return comment.isBlank() ? line : line + " " + comment.strip().replaceAll("\\s+", " ");
    }

    /** A parsed public key line: the key and its comment ("" if none). */
    record Public(PublicKey key, String comment) {
    }

    /** @throws IllegalArgumentException if {@code line} is not a public key line */
    static Public parsePublic(String line) {
        String[] parts = line.strip().split("\\s+", 3);
        if (parts.length < 2 || !parts[0].equals(PUBLIC_TAG)) {
            throw new IllegalArgumentException("want \"" + PUBLIC_TAG + " <base64 key> [comment]\"");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key is not base64: " + e.getMessage(), e);
        }
        if (raw.length != RAW_LENGTH) {
            throw new IllegalArgumentException("the key is " + raw.length + " bytes, want " + RAW_LENGTH);
        }
        byte[] x509 = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + RAW_LENGTH);
        System.arraycopy(raw, 0, x509, X509_PREFIX.length, RAW_LENGTH);
        try {
            PublicKey key = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
            return new Public(key, parts.length > 2 ? parts[2] : "");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
        }
    }
}
