package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A listener that throws while a real tree is traced: the tree runs on to its end, untouched. */
class GuardedListenerTest {
    @TempDir
    Path tmp;

    /** Throws at the first openat, as Probe did on a name the file-name encoding cannot hold. */
    private static class Failing implements SyscallListener {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Set<Integer> syscalls() {
            return Set.of(Syscalls.OPENAT);
        }

        @Override
        public boolean entry(int tid, int nr, long[] args) {
            calls.incrementAndGet();
            throw new IllegalArgumentException("cannot represent this name");
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
    }

    @Test
    void trace_listenerThrows_treeRunsToItsEnd() throws Exception {
        Failing failing = new Failing();
        GuardedListener guarded = new GuardedListener(failing);
        Path out = tmp.resolve("out");
        String script = "cat /etc/hostname > /dev/null; echo one > " + out + "; sh -c 'echo two >> " + out
                + "'; exit 4";
        TraceLoop.Outcome o = Traced.trace(guarded, true, "sh", "-c", script);
        assertEquals(4, o.exitCode(), "the command's own exit status");
        assertEquals(List.of("one", "two"), Files.readAllLines(out));
        assertTrue(guarded.failure() instanceof IllegalArgumentException, "failure: " + guarded.failure());
        assertEquals(1, failing.calls.get(), "no stop reaches the listener after it failed");
    }

    @Test
    void trace_listenerNeverThrows_noFailure() {
        GuardedListener guarded = new GuardedListener(new Failing() {
            @Override
            public boolean entry(int tid, int nr, long[] args) {
                return false;
            }
        });
        assertEquals(0, Traced.trace(guarded, true, "true").exitCode());
        assertNull(guarded.failure());
    }

    @Test
    void callerFds_keepsTheListedDescriptorsAboveTwo() {
        Set<Integer> caller = CallerFds.of("3, 7,x,,1,-2,9");
        assertEquals(Set.of(3, 7, 9), caller);
        assertEquals(List.of(4, 8, 10), CallerFds.closable(Set.of(0, 1, 2, 3, 4, 7, 8, 9, 10), caller));
        assertEquals(Set.of(), CallerFds.of(null));
    }
}
