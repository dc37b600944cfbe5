package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** TraceLoop against real processes and real ptrace, with and without the seccomp filter. */
class TraceLoopTest {
    /** Records every open/openat path and execve, and the tree's pids. */
    private static final class Log implements SyscallListener {
        final TraceeMemory memory = new TraceeMemory();
        final List<String> opened = Collections.synchronizedList(new ArrayList<>());
        final List<Long> execResults = new ArrayList<>();
        final Set<Integer> children = new HashSet<>();
        final Set<Integer> sawSyscallFrom = new HashSet<>();

        @Override
        public Set<Integer> syscalls() {
            return Set.of(Syscalls.OPENAT, Syscalls.EXECVE);
        }

        @Override
        public boolean entry(int tid, int nr, long[] args) {
            sawSyscallFrom.add(tid);
            if (nr == Syscalls.OPENAT) {
                opened.add(memory.readString(tid, args[1]));
            }
            return nr == Syscalls.EXECVE;
        }

        @Override
        public void exit(int tid, int nr, long rval) {
            execResults.add(rval);
        }

        @Override
        public void spawned(int parent, int child) {
            children.add(child);
        }

        @Override
        public void foreignAbi(int tid) {
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void run_exitStatus_isTheCommands(boolean seccomp) {
        TraceLoop.Outcome o = Traced.trace(new Log(), seccomp, "sh", "-c", "exit 3");
        assertTrue(o.traced(), "got not traced: " + o.traceFailure());
        assertEquals(3, o.exitCode(), "got exit " + o.exitCode() + ", want 3");
        assertEquals(seccomp, o.seccomp(), "got seccomp " + o.seccomp() + ", want " + seccomp);
    }

    @Test
    void run_killedBySignal_isReportedAsSignalled() {
        TraceLoop.Outcome o = Traced.trace(new Log(), true, "sh", "-c", "kill -KILL $$");
        assertTrue(o.signalled(), "got status " + o.waitStatus() + ", want killed by a signal");
        assertEquals(128 + 9, o.exitCode(), "got exit " + o.exitCode() + ", want 137");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void run_forksAndBackgroundJobs_areTraced(boolean seccomp) {
        Log log = new Log();
        TraceLoop.Outcome o = Traced.trace(log, seccomp, "sh", "-c",
                "cat /etc/hostname >/dev/null & (cat /etc/passwd >/dev/null); wait");
        assertEquals(0, o.exitCode(), "got exit " + o.exitCode());
        assertTrue(log.opened.contains("/etc/hostname"), "got opens " + log.opened + ", want /etc/hostname");
        assertTrue(log.opened.contains("/etc/passwd"), "got opens " + log.opened + ", want /etc/passwd");
        assertTrue(log.children.size() >= 2, "got children " + log.children + ", want at least 2");
        assertTrue(log.sawSyscallFrom.containsAll(log.children) || log.sawSyscallFrom.size() >= 3,
                "got syscalls from " + log.sawSyscallFrom + ", want the children's too");
    }

    @Test
    void run_threads_areTraced() {
        // python3 threads (clone with CLONE_THREAD) each open a file.
        Log log = new Log();
        TraceLoop.Outcome o = Traced.trace(log, true, "python3", "-c",
                "import threading\n"
                        + "def f(): open('/etc/hostname').read()\n"
                        + "ts=[threading.Thread(target=f) for _ in range(3)]\n"
                        + "[t.start() for t in ts]; [t.join() for t in ts]\n");
        assertEquals(0, o.exitCode(), "got exit " + o.exitCode());
        long n = log.opened.stream().filter("/etc/hostname"::equals).count();
        assertEquals(3, n, "got " + n + " opens of /etc/hostname, want 3 (one per thread)");
    }

    @Test
    void run_failedExecs_areSeenWithTheirErrors() {
        Log log = new Log();
        TraceLoop.Outcome o = Traced.trace(log, true, "sh", "-c", "/nonexistent/prog; true");
        assertEquals(0, o.exitCode(), "got exit " + o.exitCode());
        assertTrue(log.execResults.contains(-2L), "got exec results " + log.execResults + ", want an ENOENT (-2)");
        assertTrue(log.execResults.contains(0L), "got exec results " + log.execResults + ", want a success");
    }

    @Test
    void run_signalsToTheTree_areDelivered() {
        // The shell traps USR1 sent by its own child: the signal must pass through the tracer.
        TraceLoop.Outcome o = Traced.trace(new Log(), true, "sh", "-c",
                "trap 'exit 7' USR1; kill -USR1 $$; sleep 5; exit 1");
        assertEquals(7, o.exitCode(), "got exit " + o.exitCode() + ", want 7 (the trap ran)");
    }

    @Test
    void run_missingCommand_exits127() {
        TraceLoop.Outcome o = Traced.trace(new Log(), true, "no-such-command-larder-test");
        assertTrue(o.traced());
        assertEquals(127, o.exitCode(), "got exit " + o.exitCode() + ", want 127");
    }

    @Test
    void filterProgram_jumpsLandOnTheReturns() {
        byte[] prog = TraceLoop.filterProgram(Set.of(2, 257, 59));
        ByteBuffer b = ByteBuffer.wrap(prog).order(ByteOrder.LITTLE_ENDIAN);
        int n = prog.length / 8;
        assertEquals(9, n, "got " + n + " instructions, want 9");
        int trace = n - 1;
        int allow = n - 2;
        assertEquals(0x7ff00000, b.getInt(8 * trace + 4), "last instruction should return TRACE");
        assertEquals(0x7fff0000, b.getInt(8 * allow + 4), "second to last should return ALLOW");
        for (int pc = 4; pc < 7; pc++) {
            int jt = b.get(8 * pc + 2) & 0xff;
            assertEquals(trace, pc + 1 + jt, "jeq at " + pc + " jumps to " + (pc + 1 + jt) + ", want " + trace);
            assertFalse(b.get(8 * pc + 3) != 0, "jeq at " + pc + " should fall through when not equal");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void run_backgroundProcess_isLetGoRunningAndFinishesItsWork(boolean seccomp, @TempDir Path dir) throws Exception {
        // Under Yama's ptrace_scope, with the filter, they are traced to their end instead.
        assumeTrue(!seccomp || Keeper.canAttach(), "a keeper may not attach here");
        Path pidFile = dir.resolve("bg.pid");
        Path done = dir.resolve("bg.done");
        TraceLoop.Outcome o = Traced.trace(new Log(), seccomp, "sh", "-c",
                "(sleep 10; cat /dev/null && echo done > '" + done + "') & echo $! > '" + pidFile + "'");
        assertEquals(0, o.exitCode(), "exit code");
        assertTrue(o.leftRunning() >= 1, "leftRunning: got " + o.leftRunning() + ", want >= 1");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Optional<ProcessHandle> bg = ProcessHandle.of(pid);
        assertTrue(bg.isPresent() && bg.get().isAlive() && !Files.exists(done),
                "the background process had ended when the run returned");
        // Let go, not killed: its syscalls (exec, open, write) still work untraced.
        bg.get().onExit().get(2, TimeUnit.MINUTES);
        assertEquals("done\n", Files.readString(done), "what the background process wrote");
    }

    /**
     * The kernel reports its newest tracee first, so a child that exits at once (a shell's
     * {@code (exit 1)}) can be reaped before its parent's fork event is read: that child was then
     * counted as still running, and {@code ./configure} was now and then "not cacheable: left a
     * process running" (and its dead pid sent SIGSTOP). A listener that is slow at each open,
     * with other processes opening files meanwhile, makes that order common.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void run_childReapedBeforeItsForkEvent_isNotLeftRunning(boolean seccomp) {
        SyscallListener slowAtOpen = new SyscallListener() {
            @Override
            public Set<Integer> syscalls() {
                return Set.of(Syscalls.OPENAT);
            }

            @Override
            public boolean entry(int tid, int nr, long[] args) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                return false;
            }

            @Override
            public void exit(int tid, int nr, long rval) {
            }

            @Override
            public void spawned(int parent, int child) {
            }

            @Override
            public void foreignAbi(int tid) {
            }
        };
        TraceLoop.Outcome o = Traced.trace(slowAtOpen, seccomp, "sh", "-c",
                "(i=0; while [ $i -lt 400 ]; do (exit 1); i=$((i+1)); done) & "
                        + "for j in $(seq 150); do cat /dev/null; done; wait");
        assertEquals(0, o.exitCode(), "exit code");
        assertEquals(0, o.leftRunning(), "leftRunning: got " + o.leftRunning() + ", want 0 (the command waited for all)");
    }
}
