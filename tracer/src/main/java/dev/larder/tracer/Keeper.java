package dev.larder.tracer;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Takes over, untraced in effect, the processes a command left running when larder's run ended.
 * They carry the seccomp filter of the run, whose traced syscalls fail with ENOSYS when no
 * tracer is attached; so {@link TraceLoop} detaches them stopped (SIGSTOP) and starts this
 * class's {@link #main} in a JVM of its own, which seizes them, continues them and resumes every
 * stop until they have all ended. It runs in a session of its own with its stdio on /dev/null:
 * it holds no pipe of larder's caller and no terminal's signals reach it.
 *
 * <p>Used only where {@link #canAttach} (no Yama restriction); there, if a process still cannot
 * be seized (another tracer) it is continued all the same and its traced syscalls fail with
 * ENOSYS.
 */
public final class Keeper {
    private Keeper() {
    }

    /**
     * Whether a keeper may attach to processes it did not start: true unless Yama restricts
     * ptrace ({@code /proc/sys/kernel/yama/ptrace_scope} above 0) and larder is not root (or
     * it is 3: no attaching at all).
     */
    static boolean canAttach() {
        try {
            String scope = Files.readString(Path.of("/proc/sys/kernel/yama/ptrace_scope")).strip();
            return scope.equals("0") || !scope.equals("3") && Libc.geteuid() == 0;
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts a keeper for {@code tids} (detached, stopped); false if it could not be started. */
    static boolean start(List<Integer> tids) {
        Optional<String> java = ProcessHandle.current().info().command();
        String classPath = System.getProperty("java.class.path");
        if (java.isEmpty() || classPath == null || classPath.isEmpty()) {
            return false;
        }
        List<String> cmd = new ArrayList<>(List.of(java.get(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xmx32m", "-Xlog:disable", "-cp", classPath, Keeper.class.getName()));
        tids.forEach(t -> cmd.add(Integer.toString(t)));
        File devNull = new File("/dev/null");
        try {
            new ProcessBuilder(cmd).redirectInput(devNull).redirectOutput(devNull).redirectError(devNull).start();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Seizes the stopped processes named by {@code args} (tids), continues them and keeps them going. */
    public static void main(String[] args) {
        Libc.setsid();
        Memory status = new Memory(8);
        int options = Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_TRACECLONE | Libc.PTRACE_O_TRACEFORK
                | Libc.PTRACE_O_TRACEVFORK | Libc.PTRACE_O_TRACESECCOMP;
        List<Integer> tids = new ArrayList<>();
        for (String a : args) {
            int tid = Integer.parseInt(a);
            Libc.ptrace(Libc.PTRACE_SEIZE, tid, 0, options);
            tids.add(tid);
        }
        for (int tid : tids) {
            Libc.kill(tid, Libc.SIGCONT);
        }
        while (true) {
            int tid = Libc.waitpid(-1, TraceLoop.addr(status), Libc.__WALL);
            if (tid < 0) {
                if (Native.getLastError() == Libc.EINTR) {
                    continue;
                }
                return; // ECHILD: none is left
            }
            int st = status.getInt(0);
            if ((st & 0xff) != 0x7f) {
                continue;
            }
            int sig = (st >> 8) & 0xff;
            int event = st >>> 16;
            // Events, syscall stops and the hand-over's SIGSTOP are resumed as they are; any other
            // signal is delivered.
            boolean deliver = event == 0 && sig != Libc.SIGTRAP && sig != (Libc.SIGTRAP | 0x80) && sig != Libc.SIGSTOP;
            Libc.ptrace(Libc.PTRACE_CONT, tid, 0, deliver ? sig : 0);
        }
    }
}
