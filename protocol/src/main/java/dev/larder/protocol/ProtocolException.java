package dev.larder.protocol;

import java.io.IOException;

/**
 * Input that cannot be framed: broken JSON, an over-long line, a truncated or malformed body
 * line. After one of these the stream position is unknown, so the session must end.
 */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
