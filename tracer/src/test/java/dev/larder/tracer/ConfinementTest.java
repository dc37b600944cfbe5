package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay's path rules, on real directories, files and symlinks: a change outside the
 * working directory and the allowed roots, through a symlink leading out, with a special mode,
 * or deleting entries the record did not, is refused before anything is touched; a change
 * within them is applied.
 */
class ConfinementTest {
    @TempDir
    Path tmp;
    private Path work;
    private Path outside;
    private Path content;
    private Outputs.Blob blob;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        outside = Files.createDirectories(tmp.resolve("outside")).toRealPath();
        Files.writeString(outside.resolve("keep.txt"), "keep\n");
        content = tmp.resolve("content");
        Files.writeString(content, "new\n");
        blob = Outputs.Blob.of(OutputId.of(content), 4);
    }

    private static Outputs outputs(Outputs.FileOp... files) {
        return new Outputs(1, 0, null, null, List.of(files), 1);
    }

    private Outputs.FileOp write(Path p) {
        return Outputs.FileOp.write(p.toString(), blob, 0644, 1);
    }

    private String violation(Confinement c, Outputs.FileOp... files) {
        return c.violation(outputs(files));
    }

    private Confinement cwdOnly() {
        return Confinement.of(work, List.of());
    }

    /** Every path under tmp with its type, mode and content: what a refused replay must leave alone. */
    private List<String> snapshot() throws IOException {
        List<String> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted().toList()) {
                String kind = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
                        : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
                        : "file " + Files.readString(p, StandardCharsets.UTF_8);
                all.add(p + " " + Probe.mode(p, true) + " " + kind);
            }
        }
        return all;
    }

    private void assertRefused(Confinement c, String want, Outputs.FileOp... files) throws IOException {
        List<String> before = snapshot();
        Replay.Staged s = Replay.stage(outputs(files), b -> Optional.of(content), c);
        Replay.RuleBroken r = assertInstanceOf(Replay.RuleBroken.class, s, "staged: got " + s + ", want refused");
        assertTrue(r.violation().contains(want), "violation: got " + r.violation() + ", want it to say " + want);
        assertEquals(before, snapshot(), "the file system after a refused stage");
    }

    @Test
    void writeUnderCwd_isAllowedAndApplied() throws IOException {
        Outputs o = outputs(Outputs.FileOp.mkdir(work.resolve("d").toString(), 0750), write(work.resolve("d/a.txt")),
                Outputs.FileOp.symlink(work.resolve("l").toString(), "d/a.txt"));
        Replay.Staged s = Replay.stage(o, b -> Optional.of(content), cwdOnly());
        assertInstanceOf(Replay.Ready.class, s, "staged: " + s).replay().apply();
        assertEquals("new\n", Files.readString(work.resolve("l")));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("d"))));
    }

    @Test
    void absolutePathOutside_isRefused() throws IOException {
        assertRefused(cwdOnly(), "outside the allowed roots", write(outside.resolve("keep.txt")));
    }

    @Test
    void allowedRoot_letsTheWriteOutsideCwd() throws IOException {
        Confinement c = Confinement.of(work, List.of(outside));
        assertNull(violation(c, write(outside.resolve("keep.txt"))));
        assertEquals(List.of(outside.resolve("keep.txt").toString()),
                c.outsideCwd(List.of(write(outside.resolve("keep.txt")))));
    }

    @Test
    void siblingWithTheRootAsPrefix_isNotUnderIt() throws IOException {
        Path sibling = Files.createDirectories(tmp.resolve("work2"));
        assertRefused(cwdOnly(), "outside the allowed roots", write(sibling.resolve("a")));
    }

    @Test
    void symlinkedParentLeadingOut_isRefused() throws IOException {
        Files.createSymbolicLink(work.resolve("out"), outside);
        assertRefused(cwdOnly(), "resolves to " + outside, write(work.resolve("out/keep.txt")));
        assertRefused(cwdOnly(), "outside", Outputs.FileOp.mkdir(work.resolve("out/new").toString(), 0777));
    }

    @Test
    void symlinkedParentStayingInside_isAllowed() throws IOException {
        Files.createDirectories(work.resolve("real"));
        Files.createSymbolicLink(work.resolve("alias"), work.resolve("real"));
        assertNull(violation(cwdOnly(), write(work.resolve("alias/a.txt"))));
    }

    @Test
    void writeThroughALinkTheRecordMakes_isRefused() throws IOException {
        assertRefused(Confinement.of(work, List.of(outside)), "symlink the record itself makes",
                Outputs.FileOp.symlink(work.resolve("l").toString(), "sub"), write(work.resolve("l/a.txt")));
    }

    @Test
    void symlinkTargetLeadingOut_isRefused() throws IOException {
        assertRefused(cwdOnly(), "leads outside", Outputs.FileOp.symlink(work.resolve("l").toString(),
                outside.resolve("keep.txt").toString()));
        assertRefused(cwdOnly(), "leads outside", Outputs.FileOp.symlink(work.resolve("l").toString(),
                "../outside/keep.txt"));
        assertNull(violation(cwdOnly(), Outputs.FileOp.symlink(work.resolve("d/l").toString(), "../a.txt")));
    }

    @Test
    void specialModes_areRefused() throws IOException {
        for (int mode : new int[] {04755, 02755, 01777}) {
            assertRefused(cwdOnly(), "setuid, setgid or sticky",
                    Outputs.FileOp.write(work.resolve("a").toString(), blob, mode, 1));
        }
        Files.createDirectories(work.resolve("d"));
        assertRefused(cwdOnly(), "setuid, setgid or sticky", Outputs.FileOp.mkdir(work.resolve("d").toString(), 02775));
    }

    @Test
    void deleteOfADirectoryWithEntriesNotDeleted_isRefused() throws IOException {
        Path d = Files.createDirectories(work.resolve("d"));
        Files.writeString(d.resolve("mine.txt"), "user's\n");
        Files.writeString(d.resolve("tmp.o"), "o\n");
        assertRefused(cwdOnly(), "mine.txt", Outputs.FileOp.delete(d.resolve("tmp.o").toString()),
                Outputs.FileOp.delete(d.toString()));
        assertRefused(cwdOnly(), "never recursive", write(d));
    }

    @Test
    void deleteOfADirectoryWhoseEntriesTheRecordDeletes_isApplied() throws IOException {
        Path d = Files.createDirectories(work.resolve("d"));
        Files.writeString(d.resolve("tmp.o"), "o\n");
        Outputs o = outputs(Outputs.FileOp.delete(d.resolve("tmp.o").toString()), Outputs.FileOp.delete(d.toString()));
        assertInstanceOf(Replay.Ready.class, Replay.stage(o, b -> Optional.of(content), cwdOnly())).replay().apply();
        assertFalse(Files.exists(d), "d after the replayed deletes");
    }

    @Test
    void theWorkingDirectoryItself_isNeverReplaced() throws IOException {
        assertRefused(Confinement.of(work, List.of(outside)), "allowed root itself",
                Outputs.FileOp.delete(work.toString()));
    }

    @Test
    void relativeAllowedRoot_isResolvedAgainstCwd() throws IOException {
        Confinement c = Confinement.of(work, List.of(Path.of("../outside")));
        assertNull(violation(c, write(outside.resolve("new.txt"))));
    }

    @Test
    void allowedRootNotYetExisting_canBeMadeByTheRecord() throws IOException {
        Path out = outside.resolve("out");
        Confinement c = Confinement.of(work, List.of(out));
        Outputs o = outputs(Outputs.FileOp.mkdir(out.toString(), 0755), write(out.resolve("a.txt")));
        assertInstanceOf(Replay.Ready.class, Replay.stage(o, b -> Optional.of(content), c)).replay().apply();
        assertEquals("new\n", Files.readString(out.resolve("a.txt")));
        assertRefused(c, "outside", write(outside.resolve("keep.txt")));
    }

    @Test
    void recheck_parentSwappedForALinkAfterTheStage_failsTheWriteOrAppend() throws IOException {
        Path d = work.resolve("d");
        for (Outputs.FileOp f : List.of(write(d.resolve("keep.txt")), append(d.resolve("keep.txt")))) {
            Files.createDirectories(d);
            Replay.Ready ready = assertInstanceOf(Replay.Ready.class, Replay.stage(outputs(f),
                    b -> Optional.of(content), cwdOnly()));
            Files.delete(d);
            Files.createSymbolicLink(d, outside);
            try {
                ready.replay().apply();
                throw new AssertionError("apply's " + f.op() + " went through a parent swapped for a link leading out");
            } catch (IOException e) {
                assertTrue(e.getMessage().contains("outside the allowed roots"), f.op() + ": got " + e.getMessage());
            }
            assertEquals("keep\n", Files.readString(outside.resolve("keep.txt")), f.op() + ": the file outside");
            Files.delete(d);
        }
    }

    @Test
    void mkdirOverALinkLeadingOut_replacesTheLinkNotTheModeOutside() throws IOException {
        Files.createSymbolicLink(work.resolve("d"), outside);
        String before = PosixFilePermissions.toString(Files.getPosixFilePermissions(outside));
        Outputs o = outputs(Outputs.FileOp.mkdir(work.resolve("d").toString(), 0777));
        assertInstanceOf(Replay.Ready.class, Replay.stage(o, b -> Optional.of(content), cwdOnly())).replay().apply();
        assertTrue(Files.isDirectory(work.resolve("d"), LinkOption.NOFOLLOW_LINKS), "d is a directory now");
        assertEquals(before, PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)), "mode outside");
    }

    @Test
    void symlinkTargetThatDotDotsThroughALink_isResolvedAsTheKernelWould() throws IOException {
        Path home = work.getParent();
        // A link the record makes (s -> .), then one whose target walks through it: textually
        // work/.ssh, really ../.ssh (the kernel follows s before the ..).
        assertRefused(cwdOnly(), "leads outside the allowed roots",
                Outputs.FileOp.symlink(work.resolve("s").toString(), "."),
                Outputs.FileOp.symlink(work.resolve("keys").toString(), "s/../.ssh"));
        // The same through a link already in the tree.
        Files.createSymbolicLink(work.resolve("here"), Path.of("."));
        assertRefused(cwdOnly(), "it resolves to " + home.resolve(".ssh"),
                Outputs.FileOp.symlink(work.resolve("keys").toString(), "here/../.ssh"));
        // A loop is refused, not followed for ever.
        assertRefused(cwdOnly(), "a loop",
                Outputs.FileOp.symlink(work.resolve("a").toString(), "b/x"),
                Outputs.FileOp.symlink(work.resolve("b").toString(), "a/y"));
    }

    @Test
    void ordinaryRelativeLinks_withDotDotInside_areAllowed() throws IOException {
        Files.createDirectories(work.resolve("lib"));
        Outputs o = outputs(Outputs.FileOp.mkdir(work.resolve("bin").toString(), 0755),
                Outputs.FileOp.symlink(work.resolve("lib/libz.so").toString(), "libz.so.1"),
                Outputs.FileOp.symlink(work.resolve("bin/tool").toString(), "../lib/libz.so"));
        assertNull(cwdOnly().violation(o), "a library link and a link into ../lib");
    }

    private Outputs.FileOp append(Path p) {
        return Outputs.FileOp.append(p.toString(), blob, 0644, 1);
    }

    @Test
    void append_isConfinedAsAWriteIs() throws IOException {
        assertRefused(cwdOnly(), "outside the allowed roots", append(outside.resolve("keep.txt")));
        Files.createSymbolicLink(work.resolve("out"), outside);
        assertRefused(cwdOnly(), "resolves to " + outside, append(work.resolve("out/keep.txt")));
        assertRefused(Confinement.of(work, List.of(outside)), "symlink the record itself makes",
                Outputs.FileOp.symlink(work.resolve("l").toString(), "sub"), append(work.resolve("l/a.txt")));
        assertRefused(cwdOnly(), "setuid, setgid or sticky",
                Outputs.FileOp.append(work.resolve("a").toString(), blob, 04755, 1));
        assertRefused(Confinement.of(work, List.of(outside)), "allowed root itself", append(outside));
        Path d = Files.createDirectories(work.resolve("d"));
        Files.writeString(d.resolve("mine.txt"), "user's\n");
        assertRefused(cwdOnly(), "never recursive", append(d));
        assertNull(violation(Confinement.of(work, List.of(outside)), append(outside.resolve("keep.txt"))));
    }

    @Test
    void mkdirOfTheWorkingDirectory_neverChangesItsMode() throws IOException {
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
        Outputs o = outputs(Outputs.FileOp.mkdir(work.toString(), 0777), write(work.resolve("a.txt")));
        Replay.Staged s = Replay.stage(o, b -> Optional.of(content), cwdOnly());
        assertInstanceOf(Replay.Ready.class, s, "staged: " + s).replay().apply();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(work)),
                "the working directory's mode after a record's mkdir of it");
        assertEquals("new\n", Files.readString(work.resolve("a.txt")));
    }
}
