package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Replayed appends on real files: the bytes go at the end of what is there, never through a link or into a fifo. */
class ReplayTest {
    @TempDir
    Path tmp;
    private Path work;
    private Path contents;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        contents = Files.createDirectories(tmp.resolve("contents"));
    }

    /** Stores {@code text} as a content and returns its blob. */
    private Outputs.Blob content(String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        Outputs.Blob blob = Outputs.Blob.of(OutputId.of(b), b.length);
        Files.write(contents.resolve(blob.sha256()), b);
        return blob;
    }

    private void apply(Outputs.FileOp... files) throws IOException {
        Outputs o = new Outputs(1, 0, null, null, List.of(files), 1);
        Replay.Staged s = Replay.stage(o, b -> Optional.of(contents.resolve(b.sha256())),
                Confinement.of(work, List.of()));
        assertInstanceOf(Replay.Ready.class, s, "staged: " + s).replay().apply();
    }

    @Test
    void append_addsTheBytesAfterWhatOthersAppended() throws IOException {
        Path log = work.resolve("build.log");
        Files.writeString(log, "start\nforeign\n");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-------"));
        Object inode = Files.getAttribute(log, "unix:ino");
        apply(Outputs.FileOp.append(log.toString(), content("one\n"), 0644, 1));
        assertEquals("start\nforeign\none\n", Files.readString(log));
        assertEquals(inode, Files.getAttribute(log, "unix:ino"), "the same file, not one renamed over it");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)),
                "an existing file keeps its mode");
    }

    @Test
    void appendsAndWrites_areAppliedInTheirOrder() throws IOException {
        Path log = work.resolve("log");
        Files.writeString(log, "0\n");
        apply(Outputs.FileOp.append(log.toString(), content("1\n"), 0644, 1),
                Outputs.FileOp.write(work.resolve("out").toString(), content("x\n"), 0644, 2),
                Outputs.FileOp.append(log.toString(), content("2\n"), 0644, 3));
        assertEquals("0\n1\n2\n", Files.readString(log));
        assertEquals("x\n", Files.readString(work.resolve("out")));
    }

    @Test
    void appendToAMissingFile_createsItWithTheRecordedMode() throws IOException {
        Path log = work.resolve("sub/log");
        apply(Outputs.FileOp.append(log.toString(), content("one\n"), 0640, 1));
        assertEquals("one\n", Files.readString(log));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
    }

    @Test
    void appendToASymlink_isNotFollowed() throws IOException {
        Path target = work.resolve("target");
        Files.writeString(target, "mine\n");
        Path link = Files.createSymbolicLink(work.resolve("log"), Path.of("target"));
        Outputs o = new Outputs(1, 0, null, null, List.of(Outputs.FileOp.append(link.toString(), content("one\n"),
                0644, 1)), 1);
        Replay.Ready ready = assertInstanceOf(Replay.Ready.class,
                Replay.stage(o, b -> Optional.of(contents.resolve(b.sha256())), Confinement.of(work, List.of())));
        assertThrows(IOException.class, () -> ready.replay().apply());
        assertEquals("mine\n", Files.readString(target), "the link's target");
        assertTrue(Files.isSymbolicLink(link), "the link is left as it was");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void appendToAFifo_isRefusedWithoutBlocking() throws Exception {
        Path fifo = work.resolve("log");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mk.waitFor(30, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo");
        Outputs o = new Outputs(1, 0, null, null, List.of(Outputs.FileOp.append(fifo.toString(), content("one\n"),
                0644, 1)), 1);
        Replay.Ready ready = assertInstanceOf(Replay.Ready.class,
                Replay.stage(o, b -> Optional.of(contents.resolve(b.sha256())), Confinement.of(work, List.of())));
        IOException e = assertThrows(IOException.class, () -> ready.replay().apply());
        assertTrue(e.getMessage().contains("not a regular file"), "got " + e.getMessage());
        assertEquals(Map.of("isOther", true), Files.readAttributes(fifo, "isOther", LinkOption.NOFOLLOW_LINKS),
                "the fifo is left as it was");
    }
}
