package dev.larder.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An execve replaced by a {@link Substitute} in real processes under real ptrace, with and
 * without the seccomp filter: the program never runs, its parent sees the substitute's status,
 * and its writes reach the descriptors it inherited, in order, however large.
 */
class TraceLoopSubstituteTest {
    @TempDir
    Path dir;

    /** Substitutes every execve of {@code target}; counts exits it is told of. */
    private static final class Substituting implements SyscallListener {
        final TraceeMemory memory = new TraceeMemory();
        final String target;
        final Substitute instead;
        final Map<Integer, String> entering = new HashMap<>();
        final List<Integer> exits = Collections.synchronizedList(new ArrayList<>());
        final List<Long> execResults = new ArrayList<>();
        int substituted;

        Substituting(String target, Substitute instead) {
            this.target = target;
            this.instead = instead;
        }

        @Override
        public Set<Integer> syscalls() {
            return Set.of(Syscalls.EXECVE);
        }

        @Override
        public boolean entry(int tid, int nr, long[] args) {
            entering.put(tid, memory.readString(tid, args[0]));
            return true;
        }

        @Override
        public void exit(int tid, int nr, long rval) {
            execResults.add(rval);
        }

        @Override
        public Substitute substitute(int tid) {
            if (target.equals(entering.get(tid))) {
                substituted++;
                return instead;
            }
            return null;
        }

        @Override
        public void exiting(int tid, int status) {
            exits.add(tid);
        }

        @Override
        public void spawned(int parent, int child) {
        }

        @Override
        public void foreignAbi(int tid) {
        }
    }

    private static Substitute.Write write(int fd, Path file) throws IOException {
        return new Substitute.Write(fd, file, 0, Files.size(file));
    }

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void substitutedExec_writesInOrder_andExitsWithTheStatus(boolean seccomp) throws IOException {
        Substitute s = new Substitute(List.of(write(1, file("o1", "replayed out\n")),
                write(2, file("e1", "replayed err\n")),
                write(1, file("o2", "more out\n"))), 3);
        Substituting l = new Substituting("/usr/bin/env", s);
        String script = "cd '" + dir + "' && { echo a; /usr/bin/env; echo \"rc=$?\"; echo b; } > out 2> err";
        TraceLoop.Outcome o = Traced.trace(l, seccomp, "sh", "-c", script);
        assertEquals(0, o.exitCode());
        assertEquals(1, l.substituted);
        assertEquals("a\nreplayed out\nmore out\nrc=3\nb\n", Files.readString(dir.resolve("out")));
        assertEquals("replayed err\n", Files.readString(dir.resolve("err")));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void substitutedExec_nothingToWrite_justExits(boolean seccomp) throws IOException {
        Substituting l = new Substituting("/usr/bin/env", new Substitute(List.of(), 0));
        String script = "cd '" + dir + "' && /usr/bin/env > out; echo \"rc=$?\" >> out";
        Traced.trace(l, seccomp, "sh", "-c", script);
        assertEquals("rc=0\n", Files.readString(dir.resolve("out")), "env must not have run (it prints the environment)");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void substitutedExec_moreThanAPipeHolds_toAReaderInTheTree(boolean seccomp) throws IOException {
        // 300 KiB through a pipe (64 KiB) read by wc, itself traced: the writes block only the substitute.
        Path big = Files.write(dir.resolve("big"), new byte[300 * 1024]);
        Substituting l = new Substituting("/usr/bin/env", new Substitute(List.of(write(1, big)), 0));
        String script = "cd '" + dir + "' && /usr/bin/env | wc -c > out";
        Traced.trace(l, seccomp, "sh", "-c", script);
        assertEquals(String.valueOf(300 * 1024), Files.readString(dir.resolve("out")).strip());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void substitutedExec_ofAVforkChild_parentGoesOn(boolean seccomp) throws IOException {
        // Python's subprocess starts children with vfork (or posix_spawn): the parent shares the
        // child's memory until it execs or exits, so the buffer must not leak into it either.
        Substituting l = new Substituting("/usr/bin/env", new Substitute(
                List.of(write(1, file("o", "from the substitute\n"))), 7));
        String py = "import subprocess,sys; r=subprocess.run(['/usr/bin/env'], stdout=subprocess.PIPE); "
                + "sys.stdout.write(r.stdout.decode() + 'rc=%d\\n' % r.returncode)";
        String script = "cd '" + dir + "' && python3 -c \"" + py + "\" > out";
        Traced.trace(l, seccomp, "sh", "-c", script);
        assertEquals("from the substitute\nrc=7\n", Files.readString(dir.resolve("out")));
        assertTrue(l.substituted >= 1);
    }
}
