package dev.larder.storage;

import java.io.IOException;

/**
 * A put's body is not what the put declared: a different length than its size, or bytes that do
 * not hash to its output id. Nothing was stored. The message says what arrived and what was
 * declared, e.g. {@code put body: got 12 bytes, declared 40}.
 */
public final class BodyMismatchException extends IOException {
    public BodyMismatchException(String message) {
        super(message);
    }
}
