package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the recorder makes of real commands' syscalls: preconditions and outputs. */
class RecorderTest {
    @TempDir
    Path dir;

    private Optional<Precondition> pre(Traced.Run run, Path path, Probe.Kind kind) {
        return run.recording().preconditions().stream()
                .filter(p -> p.path().equals(path.toString()) && p.kind() == kind).findFirst();
    }

    private List<String> ops(Traced.Run run) {
        return run.recording().files().stream().map(f -> f.op() + " " + f.path()).collect(Collectors.toList());
    }

    private void assertOp(Traced.Run run, String op, Path path) {
        assertTrue(ops(run).contains(op + " " + path), "got ops " + ops(run) + ", want " + op + " " + path);
    }

    private Traced.Run record(String script) {
        Traced.Run run = Traced.record("cd '" + dir + "' && " + script);
        assertNull(run.recorder().uncacheable(), "got uncacheable: " + run.recorder().uncacheable());
        assertNotNull(run.recording());
        return run;
    }

    @Test
    void outputNamedWithDotDot_isRecordedByItsRealPath() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Traced.Run run = record("echo x > sub/../y.txt");
        assertOp(run, "write", dir.toRealPath().resolve("y.txt"));
        assertTrue(ops(run).stream().noneMatch(o -> o.contains("..")), "got ops " + ops(run) + ", want no ..");
    }

    @Test
    void outputReadBackThroughDotDot_isTheRunsOwn_notAnInput() throws IOException {
        Files.createDirectories(dir.resolve("lib"));
        Files.createDirectories(dir.resolve("prog"));
        Traced.Run run = record("echo obj > lib/a.o; cat prog/../lib/a.o > prog/out");
        assertTrue(run.recording().preconditions().stream().noneMatch(p -> p.path().contains("a.o")),
                "a.o is the run's own output, read back through ..: got " + run.recording().preconditions());
        assertOp(run, "write", dir.toRealPath().resolve("lib/a.o"));
    }

    @Test
    void writeThroughASymlink_writesItsTarget_andTheLinkIsAnInput() throws IOException {
        Files.writeString(dir.resolve("real"), "old\n");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("real"));
        Traced.Run run = record("echo new > link");
        assertOp(run, "write", dir.toRealPath().resolve("real"));
        assertTrue(ops(run).stream().noneMatch(o -> o.endsWith("/link")), "the link is not changed: " + ops(run));
        assertTrue(pre(run, dir.toRealPath().resolve("link"), Probe.Kind.LSTAT).isPresent(),
                "where the link points is an input: " + run.recording().preconditions());
    }

    @Test
    void changedFileWithASecondHardLink_isUncacheable() throws IOException {
        Files.writeString(dir.resolve("pre"), "old\n");
        Traced.Run run = Traced.record("cd '" + dir + "' && ln pre b && echo more >> b");
        assertNotNull(run.recorder().uncacheable(), "a replay would break the link between pre and b");
        assertTrue(run.recorder().uncacheable().contains("hard links"), run.recorder().uncacheable());
        Traced.Run alone = record("echo x > single");
        assertOp(alone, "write", dir.resolve("single"));
    }

    @Test
    void chmodOfAnExistingDirectory_isAnOutput() throws IOException {
        Files.createDirectories(dir.resolve("d"));
        Traced.Run run = record("chmod 700 d");
        Outputs.FileOp op = run.recording().files().stream().filter(f -> f.path().equals(dir.resolve("d").toString()))
                .findFirst().orElseThrow(() -> new AssertionError("no change of d in " + ops(run)));
        assertEquals("mkdir", op.op());
        assertEquals(0700, op.mode(), "the mode the run left");
    }

    @Test
    void withoutDotDot_resolvesThePrefixAsTheKernelDoes() throws IOException {
        Path real = Files.createDirectories(dir.resolve("sub/deep")).toRealPath().getParent().getParent();
        Files.createSymbolicLink(dir.resolve("up"), real.resolve("sub/deep"));
        assertEquals(real + "/a.txt", Recorder.withoutDotDot(real + "/sub/../a.txt"));
        // Through a symlink, .. leaves the link's target, as the kernel resolves it (not the lexical parent).
        assertEquals(real + "/sub/a.txt", Recorder.withoutDotDot(real + "/up/../a.txt"));
        assertEquals(real + "/x", Recorder.withoutDotDot(real + "/x"));
        assertEquals(real + "/..x/y", Recorder.withoutDotDot(real + "/..x/y"));
    }

    @Test
    void specialBits_makeTheRunNotCacheable() {
        for (String script : List.of("echo x > s && chmod 4755 s", "echo x > s && chmod 2755 s",
                "mkdir d && chmod 1777 d", "mkdir d && chmod 3775 d")) {
            Traced.Run run = Traced.record("cd '" + dir + "' && rm -rf s d && " + script);
            assertNull(run.recording(), script + ": recorded");
            assertNotNull(run.recorder().uncacheable(), script + ": a replay would leave the special bit off");
            assertTrue(run.recorder().uncacheable().contains("setuid, setgid or sticky"), run.recorder().uncacheable());
        }
    }

    @Test
    void setgidInheritedFromTheParent_isCacheable_andOnlyPermissionBitsAreRecorded() throws IOException {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 02775);
        Traced.Run run = record("mkdir shared/sub && echo x > shared/sub/f");
        assertNull(run.recorder().uncacheable(), "got uncacheable: " + run.recorder().uncacheable());
        for (Outputs.FileOp f : run.recording().files()) {
            assertEquals(0, f.mode() & 07000, "got mode " + Integer.toOctalString(f.mode()) + " for " + f.path()
                    + ", want only permission bits (the replay's mkdir inherits setgid)");
        }
        assertOp(run, "mkdir", dir.resolve("shared/sub"));
    }

    @Test
    void read_recordsContentHash() throws IOException {
        Files.writeString(dir.resolve("in"), "hello\n");
        Traced.Run run = record("cat in >/dev/null");
        Precondition p = pre(run, dir.resolve("in"), Probe.Kind.CONTENT).orElseThrow(
                () -> new AssertionError("no CONTENT precondition for in: " + run.recording().preconditions()));
        assertEquals("file " + OutputId.of(dir.resolve("in")), p.value());
    }

    @Test
    void missingFile_isANegativePrecondition() {
        Traced.Run run = record("cat nothere 2>/dev/null; true");
        Precondition p = pre(run, dir.resolve("nothere"), Probe.Kind.CONTENT).orElseThrow();
        assertEquals("missing", p.value(), "got " + p.value() + ", want missing");
    }

    @Test
    void writtenFile_isAnOutputNotAnInput() throws IOException {
        Traced.Run run = record("echo hi > out; cat out > out2");
        assertOp(run, "write", dir.resolve("out"));
        assertOp(run, "write", dir.resolve("out2"));
        assertTrue(pre(run, dir.resolve("out"), Probe.Kind.CONTENT).isEmpty(),
                "out was written before it was read: not an input; got " + run.recording().preconditions());
    }

    @Test
    void tempFileCreatedAndRemoved_isNeitherInputNorOutput() {
        Traced.Run run = record("echo x > tmpfile; cat tmpfile >/dev/null; rm tmpfile");
        String tmp = dir.resolve("tmpfile").toString();
        assertTrue(ops(run).stream().noneMatch(o -> o.endsWith(tmp)), "got ops " + ops(run));
        assertTrue(run.recording().preconditions().stream().noneMatch(p -> p.path().equals(tmp)),
                "got preconditions on the temp file: " + run.recording().preconditions());
    }

    @Test
    void deletedPreexistingFile_isADeleteOutput() throws IOException {
        Files.writeString(dir.resolve("old"), "x");
        Traced.Run run = record("rm old");
        assertOp(run, "delete", dir.resolve("old"));
    }

    @Test
    void rename_sourceContentIsAnInput_targetAnOutput() throws IOException {
        Files.writeString(dir.resolve("a"), "content");
        Traced.Run run = record("mv a b");
        assertTrue(pre(run, dir.resolve("a"), Probe.Kind.CONTENT).isPresent(),
                "the moved file's content ends up in b: an input; got " + run.recording().preconditions());
        assertOp(run, "write", dir.resolve("b"));
        assertOp(run, "delete", dir.resolve("a"));
    }

    private Outputs.FileOp op(Traced.Run run, Path path) {
        return run.recording().files().stream().filter(f -> f.path().equals(path.toString())).findFirst()
                .orElseThrow(() -> new AssertionError("no change of " + path + " in " + ops(run)));
    }

    /** The bytes the recording stores for {@code op}'s content, read as a put would read them. */
    private static String stored(Traced.Run run, Outputs.FileOp op) throws IOException {
        Recorder.Content c = run.recording().contents().stream().filter(x -> x.blob().equals(op.content()))
                .findFirst().orElseThrow(() -> new AssertionError("no content for " + op));
        try (InputStream in = c.open()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void append_toAnExistingFile_recordsTheBytesAppended_andOnlyThatTheFileExists() throws IOException {
        Path log = dir.resolve("log");
        Files.writeString(log, "line1\n");
        Traced.Run run = record("echo line2 >> log; echo line3 >> log");
        Outputs.FileOp op = op(run, log);
        assertEquals("append", op.op(), "got ops " + ops(run));
        assertEquals(Outputs.Blob.of(OutputId.of("line2\nline3\n".getBytes(StandardCharsets.UTF_8)), 12), op.content());
        // What others append to the file later is not part of the recorded bytes.
        Files.writeString(log, "foreign\n", StandardOpenOption.APPEND);
        assertEquals("line2\nline3\n", stored(run, op));
        assertTrue(pre(run, log, Probe.Kind.CONTENT).isEmpty(), "what the log held is no input: got "
                + run.recording().preconditions());
        assertEquals("file", pre(run, log, Probe.Kind.EXISTS).map(Precondition::value).orElse(null),
                "got " + run.recording().preconditions() + ", want log to exist as a file");
    }

    @Test
    void appendAndRead_oldContentIsAnInput_andTheWholeFileIsWritten() throws IOException {
        for (String script : List.of("echo line2 >> log; cat log > copy", "cat log > copy; echo line2 >> log",
                "echo line2 >> log; chmod 600 log", "echo line2 >> log; echo x > log",
                "echo line2 >> log; mv log log2; mv log2 log")) {
            Files.writeString(dir.resolve("log"), "line1\n");
            Traced.Run run = record(script);
            assertEquals("file " + OutputId.of("line1\n".getBytes(StandardCharsets.UTF_8)),
                    pre(run, dir.resolve("log"), Probe.Kind.CONTENT).map(Precondition::value).orElse(null),
                    script + ": got " + run.recording().preconditions());
            assertEquals("write", op(run, dir.resolve("log")).op(), script + ": got ops " + ops(run));
            Files.deleteIfExists(dir.resolve("copy"));
        }
    }

    @Test
    void appendToAMissingFile_isAWrite() throws IOException {
        Traced.Run run = record("echo new >> fresh");
        assertEquals("write", op(run, dir.resolve("fresh")).op(), "got ops " + ops(run));
        assertEquals("missing", pre(run, dir.resolve("fresh"), Probe.Kind.CONTENT).map(Precondition::value)
                .orElse(null), "got " + run.recording().preconditions());
    }

    @Test
    void appendThatFails_isNoAppend() throws Exception {
        // A running program cannot be opened for writing (ETXTBSY), not even by root.
        Path busy = dir.resolve("busy");
        Files.copy(Path.of("/bin/sleep"), busy);
        Process running = new ProcessBuilder(busy.toString(), "60").start();
        try {
            Traced.Run run = record("(echo more >> busy) 2>/dev/null; true");
            assertEquals("write", op(run, busy).op(), "got ops " + ops(run));
            assertTrue(pre(run, busy, Probe.Kind.CONTENT).isPresent(), "got " + run.recording().preconditions());
        } finally {
            running.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void listing_leavesOutNamesTheRunCreated() throws IOException {
        Files.writeString(dir.resolve("x"), "");
        Traced.Run run = record("touch made; ls > listing");
        Precondition p = pre(run, dir, Probe.Kind.LIST).orElseThrow(
                () -> new AssertionError("no LIST precondition: " + run.recording().preconditions()));
        assertTrue(p.except().contains("made") && p.except().contains("listing"), "got except " + p.except());
        // With the run's outputs gone, the directory reads the same as it did to the run.
        Files.delete(dir.resolve("made"));
        Files.delete(dir.resolve("listing"));
        assertEquals(p.value(), p.current(new Probe(FileHasher.open(Optional.empty()))));
    }

    @Test
    void mkdirAndSymlink_areOutputs() {
        Traced.Run run = record("mkdir -p d/e && ln -s target link");
        assertOp(run, "mkdir", dir.resolve("d"));
        assertOp(run, "mkdir", dir.resolve("d/e"));
        assertOp(run, "symlink", dir.resolve("link"));
    }

    @Test
    void network_isUncacheable() {
        Traced.Run run = Traced.record("python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM)'");
        assertNotNull(run.recorder().uncacheable(), "a run that opened an inet socket was cacheable");
        assertTrue(run.recorder().uncacheable().contains("network"), "got " + run.recorder().uncacheable());
    }

    @Test
    void ptrace_isUncacheable_evenWhenItFails() {
        // PTRACE_TRACEME (request 0) fails here: the caller is already traced, by us.
        Traced.Run run = Traced.record("python3 -c 'import ctypes; print(ctypes.CDLL(None).ptrace(0, 0, 0, 0))'");
        assertNotNull(run.recorder().uncacheable(), "a run that called ptrace was cacheable");
        assertTrue(run.recorder().uncacheable().startsWith("used ptrace"), "got " + run.recorder().uncacheable());
    }

    @Test
    void signalOutsideTheTree_isUncacheable() {
        // pid 1 exists everywhere; signal 0 only probes it, but that still looks outside the tree.
        Traced.Run run = Traced.record("kill -0 1 2>/dev/null; true");
        assertNotNull(run.recorder().uncacheable(), "a run that signalled pid 1 was cacheable");
    }

    @Test
    void signalInsideTheTree_isFine() {
        Traced.Run run = Traced.record("sleep 5 & kill $!; wait; true");
        assertNull(run.recorder().uncacheable(), "got " + run.recorder().uncacheable());
    }

    @Test
    void procSysDev_areNotPreconditions() {
        Traced.Run run = record("cat /proc/self/status /sys/kernel/osrelease /dev/null > /dev/null");
        assertTrue(run.recording().preconditions().stream().noneMatch(p -> p.path().startsWith("/proc/")
                || p.path().startsWith("/sys/") || p.path().startsWith("/dev/")),
                "got " + run.recording().preconditions());
    }

    @Test
    void execOfAScript_recordsItsInterpreter() throws IOException {
        Path script = dir.resolve("s.sh");
        Files.writeString(script, "#!/bin/sh\necho hi\n");
        script.toFile().setExecutable(true);
        Traced.Run run = record("./s.sh > /dev/null");
        assertTrue(pre(run, script, Probe.Kind.CONTENT).isPresent(), "got " + run.recording().preconditions());
        assertTrue(pre(run, Path.of("/bin/sh"), Probe.Kind.CONTENT).isPresent(),
                "the interpreter the kernel opened is an input; got " + run.recording().preconditions());
        assertEquals(2, run.recorder().executions() >= 2 ? 2 : run.recorder().executions(),
                "got " + run.recorder().executions() + " executions, want at least 2");
    }

    @Test
    void clean_collapsesSlashesAndDots() {
        assertEquals("/a/b", Recorder.clean("/a//./b/"));
        assertEquals("/a/../b", Recorder.clean("/a/../b"));
        assertEquals("/", Recorder.clean("/./"));
    }

    @Test
    void syscalls_seccompFilterStopsOnExactlyTheHandledOnes() {
        for (String stdinWatch : new String[] {null, "pipe:[1]"}) {
            Recorder r = new Recorder(new Probe(FileHasher.open(Optional.empty())), stdinWatch);
            Set<Integer> traced = filterTraces(TraceLoop.filterProgram(r.syscalls()));
            assertEquals(r.syscalls(), traced, "got a filter tracing " + traced + ", want the handled " + r.syscalls());
            assertEquals(stdinWatch != null, traced.contains(Syscalls.READ),
                    "got read traced " + traced.contains(Syscalls.READ) + " with stdin watch " + stdinWatch);
        }
    }

    @Test
    void entry_unhandledSyscall_wantsNoExit() {
        Recorder r = new Recorder(new Probe(FileHasher.open(Optional.empty())), null);
        assertTrue(!r.syscalls().contains(Syscalls.READ) && !r.entry(1, Syscalls.READ, new long[6]),
                "a syscall outside the table was handled");
        assertNull(r.uncacheable(), "got " + r.uncacheable());
    }

    /** The x86_64 syscall numbers a BPF program from {@link TraceLoop#filterProgram} sends to the tracer. */
    private static Set<Integer> filterTraces(byte[] program) {
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int n = program.length / 8;
        int retTrace = n - 1;
        assertEquals(0x06, b.getShort(8 * retTrace), "the last instruction is not a return");
        Set<Integer> nrs = new HashSet<>();
        // Instructions 0-3 check the ABI and load the number; then one jeq per traced syscall.
        for (int pc = 4; pc < n; pc++) {
            int code = b.getShort(8 * pc);
            if (code != 0x15) {
                continue;
            }
            int jt = b.get(8 * pc + 2) & 0xff;
            assertEquals(retTrace, pc + 1 + jt, "the jeq at " + pc + " does not jump to the trace return");
            nrs.add(b.getInt(8 * pc + 4));
        }
        return nrs;
    }
}
