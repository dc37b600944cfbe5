package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.larder.protocol.OutputId;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A byte range of a real file, as an append's content is stored: never more than it held, never quietly less. */
class FileSliceTest {
    @TempDir
    Path dir;

    @Test
    void open_readsOnlyTheSlice_evenAfterTheFileGrew() throws IOException {
        Path log = dir.resolve("log");
        Files.writeString(log, "old\nnew\n");
        FileSlice slice = new FileSlice(log, 4, 4);
        Files.writeString(log, "later\n", StandardOpenOption.APPEND);
        try (InputStream in = slice.open()) {
            assertEquals("new\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(OutputId.of("new\n".getBytes(StandardCharsets.UTF_8)), slice.sha256());
    }

    @Test
    void sha256_ofAFileThatShrank_fails() throws IOException {
        Path log = dir.resolve("log");
        Files.writeString(log, "old\nnew\n");
        FileSlice slice = new FileSlice(log, 4, 4);
        Files.writeString(log, "old\nn");
        assertThrows(EOFException.class, slice::sha256);
        try (InputStream in = slice.open()) {
            assertArrayEquals("n".getBytes(StandardCharsets.UTF_8), in.readAllBytes(),
                    "a put of it sends fewer bytes than it declares, and the cache refuses it");
        }
    }
}
