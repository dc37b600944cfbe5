package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir
    Path tmp;

    @Test
    void read_oneLineWithNewline_isTheTokenStripped() throws IOException {
        Path f = Files.writeString(tmp.resolve("token"), "  s3cret \r\n\n");
        assertEquals("s3cret", TokenFile.read(f));
    }

    @Test
    void read_emptyFile_namesTheFileAndWantsOneLine() throws IOException {
        Path f = Files.writeString(tmp.resolve("token"), " \n");
        IOException e = assertThrows(IOException.class, () -> TokenFile.read(f));
        assertEquals("token file " + f + ": got nothing, want one line with the token", e.getMessage());
    }

    @Test
    void read_severalLines_isRefused() throws IOException {
        Path f = Files.writeString(tmp.resolve("token"), "one\ntwo\n");
        IOException e = assertThrows(IOException.class, () -> TokenFile.read(f));
        assertEquals("token file " + f + ": got 2 lines, want one line with the token", e.getMessage());
    }

    @Test
    void read_missingFile_saysWhy() {
        Path f = tmp.resolve("none");
        IOException e = assertThrows(IOException.class, () -> TokenFile.read(f));
        assertEquals("token file " + f + ": cannot read: " + f + ": no such file or directory", e.getMessage());
    }
}
