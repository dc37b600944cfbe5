package dev.larder.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A bearer token kept in a file ({@code larder serve --token-file}, the tiers'
 * {@code --remote-token-file}): the one place that reads one. The caller decides what a bad file
 * is: {@code serve} fails (exit 1), the tiers' options call it a bad value (a usage error).
 */
final class TokenFile {
    private TokenFile() {
    }

    /**
     * The token in {@code file}: its one non-empty line, without surrounding white space (a final
     * newline is fine).
     *
     * @throws IOException naming the file and what was wrong: it cannot be read (UTF-8), it is
     *     empty, or it holds more than one line
     */
    static String read(Path file) throws IOException {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IOException("token file " + file + ": cannot read: " + Main.message(e), e);
        }
        long lines = token.lines().count();
        if (lines != 1) {
            throw new IOException("token file " + file + ": got " + (lines == 0 ? "nothing" : lines + " lines")
                    + ", want one line with the token");
        }
        return token;
    }
}
