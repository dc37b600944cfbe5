package dev.larder.tracer;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Spawns a command and traces its whole process tree with ptrace, reporting syscalls to a
 * {@link SyscallListener}. Everything happens on the calling thread, which must be a dedicated
 * platform thread: ptrace requests are only valid from the thread that attached, and
 * {@code waitpid(-1, __WALL | __WNOTHREAD)} only sees that thread's children and tracees.
 *
 * <p>How: {@code posix_spawnp} starts {@code /bin/sh -c 'kill -STOP $$; exec "$@"' sh CMD...}
 * (not ProcessBuilder, whose reaper thread would steal the ptrace stops), with an empty signal
 * mask, default dispositions and every JVM descriptor above 2 closed but the caller's (see
 * {@link RunCache#CALLER_FDS}). Once the trampoline has
 * stopped itself it is seized; a seccomp filter that stops only on the listener's syscalls is
 * installed in it by making it run prctl and seccomp itself (at that stop its instruction
 * pointer follows a {@code syscall} instruction); then it continues into the command. If the
 * filter cannot be installed the tree is traced at every syscall instead, slower but the same.
 */
final class TraceLoop {
    private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    private static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    private static final int SECCOMP_RET_TRACE = 0x7ff00000;
    private static final String TRAMPOLINE = "kill -STOP $$; exec \"$@\"";

    /**
     * The end of a traced run.
     *
     * @param leftRunning processes (threads) of the tree still running when the command itself
     *                    ended; they were detached and go on untraced
     */
    record Outcome(int waitStatus, boolean traced, String traceFailure, long stops, boolean seccomp,
            int leftRunning) {
        Outcome(int waitStatus, boolean traced, String traceFailure, long stops, boolean seccomp) {
            this(waitStatus, traced, traceFailure, stops, seccomp, 0);
        }

        /** The exit code a shell would report: the status, or 128 + the signal that killed it. */
        int exitCode() {
            int sig = waitStatus & 0x7f;
            return sig == 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
        }

        boolean signalled() {
            return (waitStatus & 0x7f) != 0;
        }
    }

    private final SyscallListener listener;
    private final Memory status = new Memory(8);
    private final Memory info = new Memory(128);
    private final Memory regs = new Memory(27 * 8);
    private final Map<Integer, Integer> awaitingExit = new HashMap<>();
    /** Threads doing a {@link Substitute} instead of their execve, one injected syscall at a time. */
    private final Map<Integer, Injection> injecting = new HashMap<>();
    private final Set<Integer> alive = new HashSet<>();
    /**
     * vfork children that have not exec'd or exited yet: their parent waits for that, in a sleep
     * no stop request ends, so they must be let run to their exec before they are stopped.
     */
    private final Set<Integer> vforking = new HashSet<>();
    /**
     * Tracees reported (stopped, or ended) before their parent's fork event was read: the kernel
     * reports its newest tracee first, so a child can even be reaped before that event, which
     * must then not count it as running.
     */
    private final Set<Integer> beforeForkEvent = new HashSet<>();
    private final long[] args = new long[6];
    private long stops;

    private TraceLoop(SyscallListener listener) {
        this.listener = listener;
    }

    /**
     * Runs {@code argv} (looked up on the PATH in {@code env}) in the JVM's working directory, with
     * fds 1 and 2 replaced by {@code stdoutFd} and {@code stderrFd} when they are not -1, and
     * waits for the whole tree to end.
     *
     * @param useSeccomp whether to try the seccomp filter (false: stop at every syscall)
     * @param onRoot     told the first process's pid as soon as it is spawned
     * @throws IOException if the command could not be spawned at all
     */
    static Outcome run(List<String> argv, Map<String, String> env, int stdoutFd, int stderrFd,
            SyscallListener listener, boolean useSeccomp, IntConsumer onRoot) throws IOException {
        return new TraceLoop(listener).trace(argv, env, stdoutFd, stderrFd, useSeccomp, onRoot);
    }

    private Outcome trace(List<String> argv, Map<String, String> env, int stdoutFd, int stderrFd,
            boolean useSeccomp, IntConsumer onRoot) throws IOException {
        int root = spawn(argv, env, stdoutFd, stderrFd);
        onRoot.accept(root);
        // The trampoline stops itself before exec'ing the command.
        int st = waitFor(root, Libc.WUNTRACED);
        if (!stopped(st)) {
            return new Outcome(st, false, "the trampoline shell ended before it could be traced", 0, false);
        }
        int options = Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_TRACEEXEC | Libc.PTRACE_O_TRACECLONE
                | Libc.PTRACE_O_TRACEFORK | Libc.PTRACE_O_TRACEVFORK | Libc.PTRACE_O_TRACEEXIT | Libc.PTRACE_O_EXITKILL;
        if (useSeccomp) {
            options |= Libc.PTRACE_O_TRACESECCOMP;
        }
        if (Libc.ptrace(Libc.PTRACE_SEIZE, root, 0, options) != 0) {
            String why = "ptrace(PTRACE_SEIZE) failed: errno " + Native.getLastError();
            Libc.kill(root, Libc.SIGCONT);
            return new Outcome(waitFor(root, 0), false, why, 0, false);
        }
        // Seized while stopped: the tracee reports a PTRACE_EVENT_STOP (or, racing, a
        // signal-delivery-stop); either way it sits at the kill syscall's return.
        st = waitFor(root, Libc.__WALL);
        if (!stopped(st)) {
            return new Outcome(st, false, "the trampoline shell ended as it was seized", 0, false);
        }
        alive.add(root);
        boolean seccomp = useSeccomp && installFilter(root);
        int resume = seccomp ? Libc.PTRACE_CONT : Libc.PTRACE_SYSCALL;
        // Undo the job-control stop, so the tree is not left stopped once it is let go.
        Libc.kill(root, Libc.SIGCONT);
        Libc.ptrace(resume, root, 0, 0);
        int rootStatus = loop(root, resume);
        int leftRunning = 0;
        if (!alive.isEmpty() && (!seccomp || Keeper.canAttach())) {
            leftRunning = detachAll(seccomp);
        } else if (!alive.isEmpty()) {
            // No keeper could take them over: trace them to their end, as the whole run.
            loop(0, resume);
        }
        return new Outcome(rootStatus, true, null, stops, seccomp, leftRunning);
    }

    /**
     * Traces until the command itself (the root process) has ended, as a shell sees a command
     * end: processes it left running in the background are not waited for. With no root (0),
     * traces until every tracee has ended.
     */
    private int loop(int root, int resume) {
        while (true) {
            int tid = Libc.waitpid(-1, addr(status), Libc.__WALL | Libc.__WNOTHREAD);
            if (tid < 0) {
                int errno = Native.getLastError();
                if (errno == Libc.EINTR) {
                    continue;
                }
                return 0; // ECHILD: cannot happen before the root is reaped
            }
            int st = status.getInt(0);
            if (!stopped(st)) {
                ended(tid);
                awaitingExit.remove(tid);
                vforking.remove(tid);
                Injection gone = injecting.remove(tid);
                if (gone != null) {
                    gone.close();
                }
                listener.ended(tid, st);
                if (tid == root) {
                    return st;
                }
                continue;
            }
            stops++;
            int sig = (st >> 8) & 0xff;
            int event = st >>> 16;
            if (alive.add(tid)) {
                beforeForkEvent.add(tid);
                // Its syscalls may come before its parent's fork event: the listener must know whose it is.
                int parent = parentOf(tid);
                if (parent > 0) {
                    listener.spawned(parent, tid);
                }
            }
            if (sig == (Libc.SIGTRAP | 0x80)) {
                syscallStop(tid, resume);
            } else if (sig == Libc.SIGTRAP && event == Libc.PTRACE_EVENT_SECCOMP) {
                seccompStop(tid);
            } else if (sig == Libc.SIGTRAP && (event == Libc.PTRACE_EVENT_FORK || event == Libc.PTRACE_EVENT_VFORK
                    || event == Libc.PTRACE_EVENT_CLONE)) {
                Libc.ptrace(Libc.PTRACE_GETEVENTMSG, tid, 0, addr(status));
                int child = (int) status.getLong(0);
                boolean early = beforeForkEvent.contains(child);
                forked(child);
                if (event == Libc.PTRACE_EVENT_VFORK && alive.contains(child)) {
                    vforking.add(child);
                }
                if (!early) {
                    listener.spawned(tid, child); // else told when it was first reported (or it has ended)
                }
                Libc.ptrace(resumeOf(tid, resume), tid, 0, 0);
            } else if (sig == Libc.SIGTRAP && event == Libc.PTRACE_EVENT_EXIT) {
                Libc.ptrace(Libc.PTRACE_GETEVENTMSG, tid, 0, addr(status));
                listener.exiting(tid, (int) status.getLong(0));
                Libc.ptrace(resumeOf(tid, resume), tid, 0, 0);
            } else if (sig == Libc.SIGTRAP && event == Libc.PTRACE_EVENT_EXEC) {
                // execve succeeded; its exit stop (if asked for) follows.
                vforking.remove(tid);
                Libc.ptrace(resumeOf(tid, resume), tid, 0, 0);
            } else if (event == Libc.PTRACE_EVENT_STOP) {
                // A group-stop, or a new child's first stop. Builds are not job-controlled: go on.
                Libc.ptrace(resumeOf(tid, resume), tid, 0, 0);
            } else {
                // A signal on its way to the thread: deliver it.
                Libc.ptrace(resumeOf(tid, resume), tid, 0, sig);
            }
        }
    }

    /**
     * Lets go of the tracees still running once the command has ended, without killing them:
     * each is interrupted into a ptrace-stop and detached (a signal it was about to receive is
     * passed on); children they fork meanwhile are detached as they report. With the seccomp
     * filter they are sent SIGSTOP instead, detached and handed to a {@link Keeper} (untraced,
     * their filtered syscalls would fail with ENOSYS). Returns how many were running.
     */
    private int detachAll(boolean seccomp) {
        int count = alive.size();
        List<Integer> detached = new ArrayList<>();
        for (int tid : alive) {
            // A queued SIGSTOP outlives the detach: the process stops before its next syscall.
            if (seccomp && vforking.contains(tid)) {
                continue; // stopped at its exec: its parent cannot stop before that
            } else if (seccomp) {
                Libc.kill(tid, Libc.SIGSTOP);
            } else {
                Libc.ptrace(Libc.PTRACE_INTERRUPT, tid, 0, 0);
            }
        }
        // The root is reaped, so waitpid ends (ECHILD) once no tracee is left attached.
        while (!alive.isEmpty()) {
            int tid = Libc.waitpid(-1, addr(status), Libc.__WALL | Libc.__WNOTHREAD);
            if (tid < 0) {
                if (Native.getLastError() == Libc.EINTR) {
                    continue;
                }
                break;
            }
            int st = status.getInt(0);
            if (!stopped(st)) {
                ended(tid);
                vforking.remove(tid);
                continue;
            }
            int sig = (st >> 8) & 0xff;
            int event = st >>> 16;
            if (sig == Libc.SIGTRAP && (event == Libc.PTRACE_EVENT_FORK || event == Libc.PTRACE_EVENT_VFORK
                    || event == Libc.PTRACE_EVENT_CLONE)) {
                Libc.ptrace(Libc.PTRACE_GETEVENTMSG, tid, 0, addr(status));
                int child = (int) status.getLong(0);
                if (forked(child)) {
                    count++;
                    if (seccomp && event == Libc.PTRACE_EVENT_VFORK) {
                        vforking.add(child);
                    } else if (seccomp) {
                        Libc.kill(child, Libc.SIGSTOP);
                    }
                }
            }
            boolean delivers = event == 0 && sig != Libc.SIGTRAP && sig != (Libc.SIGTRAP | 0x80);
            if (seccomp && vforking.contains(tid)) {
                // Traced on to its exec (its filtered syscalls need a tracer), then stopped.
                if (sig == Libc.SIGTRAP && event == Libc.PTRACE_EVENT_EXEC) {
                    vforking.remove(tid);
                    Libc.kill(tid, Libc.SIGSTOP);
                }
                Libc.ptrace(Libc.PTRACE_CONT, tid, 0, delivers ? sig : 0);
                continue;
            }
            Libc.ptrace(Libc.PTRACE_DETACH, tid, 0, delivers ? sig : 0);
            if (seccomp) {
                detached.add(tid);
            }
            alive.remove(tid);
        }
        if (!detached.isEmpty() && !Keeper.start(detached)) {
            detached.forEach(tid -> Libc.kill(tid, Libc.SIGCONT));
        }
        return count;
    }

    /**
     * A fork event announced {@code child}: it runs, unless it was reported already (then it is
     * in {@link #alive} if it still runs, or ended before the event was read). Returns whether it
     * was added to {@link #alive} now.
     */
    private boolean forked(int child) {
        return !beforeForkEvent.remove(child) && alive.add(child);
    }

    /** The thread or process that started {@code tid}: its process for a thread, else its parent; 0 if unknown. */
    private static int parentOf(int tid) {
        int tgid = 0;
        int ppid = 0;
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + tid + "/status"))) {
                if (line.startsWith("Tgid:")) {
                    tgid = Integer.parseInt(line.substring(5).strip());
                } else if (line.startsWith("PPid:")) {
                    ppid = Integer.parseInt(line.substring(5).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return tgid != tid && tgid > 0 ? tgid : ppid;
    }

    /** {@code tid} was reaped: not running any more, even if its fork event is still to be read. */
    private void ended(int tid) {
        if (!alive.remove(tid)) {
            beforeForkEvent.add(tid);
        }
    }

    /** A thread waiting for its syscall's exit stop (or injecting) is resumed with PTRACE_SYSCALL. */
    private int resumeOf(int tid, int resume) {
        return awaitingExit.containsKey(tid) || injecting.containsKey(tid) ? Libc.PTRACE_SYSCALL : resume;
    }

    private void seccompStop(int tid) {
        if (injecting.containsKey(tid)
                || Libc.ptrace(Libc.PTRACE_GET_SYSCALL_INFO, tid, info.size(), addr(info)) <= 0) {
            Libc.ptrace(resumeOf(tid, Libc.PTRACE_CONT), tid, 0, 0);
            return;
        }
        boolean wantsExit = entry(tid) || injecting.containsKey(tid);
        Libc.ptrace(wantsExit ? Libc.PTRACE_SYSCALL : Libc.PTRACE_CONT, tid, 0, 0);
    }

    private void syscallStop(int tid, int resume) {
        if (Libc.ptrace(Libc.PTRACE_GET_SYSCALL_INFO, tid, info.size(), addr(info)) <= 0) {
            Libc.ptrace(resume, tid, 0, 0);
            return;
        }
        int op = info.getByte(0);
        Injection inj = injecting.get(tid);
        if (inj != null) {
            // One of the injected syscalls: its entry runs as set up, its exit sets up the next.
            if (op == Libc.PTRACE_SYSCALL_INFO_EXIT) {
                inj.returned(tid, info.getLong(24));
            }
            Libc.ptrace(resumeOf(tid, resume), tid, 0, 0);
            return;
        }
        if (op == Libc.PTRACE_SYSCALL_INFO_ENTRY && resume == Libc.PTRACE_SYSCALL) {
            entry(tid);
            // Without seccomp every syscall stops twice; the exit is only reported if wanted.
            Libc.ptrace(Libc.PTRACE_SYSCALL, tid, 0, 0);
            return;
        }
        if (op == Libc.PTRACE_SYSCALL_INFO_EXIT) {
            Integer nr = awaitingExit.remove(tid);
            if (nr != null) {
                listener.exit(tid, nr, info.getLong(24));
            }
        }
        Libc.ptrace(resumeOf(tid, resume), tid, 0, 0);
    }

    /** Decodes an entry (or seccomp) stop's syscall; returns whether its exit is wanted. */
    private boolean entry(int tid) {
        if (info.getInt(4) != AUDIT_ARCH_X86_64) {
            listener.foreignAbi(tid);
            return false;
        }
        long nr = info.getLong(24);
        if (nr < 0 || nr >= 0x40000000L) {
            if (nr >= 0x40000000L) {
                listener.foreignAbi(tid);
            }
            return false;
        }
        for (int i = 0; i < 6; i++) {
            args[i] = info.getLong(32 + 8L * i);
        }
        if (!listener.syscalls().contains((int) nr)) {
            return false;
        }
        boolean wantsExit = listener.entry(tid, (int) nr, args);
        if (nr == Syscalls.EXECVE || nr == Syscalls.EXECVEAT) {
            Substitute instead = listener.substitute(tid);
            if (instead != null && substitute(tid, instead)) {
                // The execve does not happen: the listener hears of no exit; injected steps want theirs.
                return injecting.containsKey(tid);
            }
        }
        if (wantsExit) {
            awaitingExit.put(tid, (int) nr);
        }
        return wantsExit;
    }

    // ---- substituting an execve ----

    /** Bytes each injected write moves: the tracee's buffer is one anonymous mapping of this size. */
    private static final int CHUNK = 64 * 1024;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;
    /** How often an injected write that made no progress (EINTR, EAGAIN) is tried again. */
    private static final int RETRIES = 10_000;

    /**
     * Replaces the syscall {@code tid} is entering with the first step of {@code instead}: an
     * mmap for the buffer its writes go through (the thread is then {@link #injecting}), or at
     * once its exit_group when there is nothing to write. Returns false if the registers could
     * not be changed: the execve then runs as it was.
     */
    private boolean substitute(int tid, Substitute instead) {
        if (instead.writes().isEmpty()) {
            return setSyscall(tid, false, Syscalls.EXIT_GROUP, instead.exitStatus(), 0, 0, 0, 0, 0);
        }
        if (!setSyscall(tid, false, Syscalls.MMAP, 0, CHUNK, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0)) {
            return false;
        }
        injecting.put(tid, new Injection(instead));
        return true;
    }

    /**
     * Sets the syscall {@code tid} makes: at an entry stop the one it is entering
     * ({@code again} false: orig_rax); at an exit stop one more, by moving its instruction
     * pointer back onto the {@code syscall} instruction ({@code again} true).
     */
    private boolean setSyscall(int tid, boolean again, int nr, long a0, long a1, long a2, long a3, long a4,
            long a5) {
        if (Libc.ptrace(Libc.PTRACE_GETREGS, tid, 0, addr(regs)) != 0) {
            return false;
        }
        long[] r = regs.getLongArray(0, 27);
        if (again) {
            r[Regs.RIP] -= 2;
            r[Regs.RAX] = nr;
        } else {
            r[Regs.ORIG_RAX] = nr;
        }
        r[Regs.RDI] = a0;
        r[Regs.RSI] = a1;
        r[Regs.RDX] = a2;
        r[Regs.R10] = a3;
        r[Regs.R8] = a4;
        r[Regs.R9] = a5;
        regs.write(0, r, 0, 27);
        return Libc.ptrace(Libc.PTRACE_SETREGS, tid, 0, addr(regs)) == 0;
    }

    /**
     * A {@link Substitute} in progress: mmap a buffer, write each chunk of each content to its
     * descriptor (a partial write continues where it stopped), munmap the buffer (a vfork child
     * shares its parent's memory), exit_group. Each step is set up at the previous one's exit
     * stop, so the tracer never waits for the thread: a write that blocks on a full pipe blocks
     * only it, while its reader (perhaps another tracee) runs on.
     */
    private final class Injection {
        private final Substitute what;
        private int next;
        private long position;
        private FileChannel content;
        private long buffer;
        private int retries;
        private boolean unmapping;
        private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK);

        Injection(Substitute what) {
            this.what = what;
        }

        /** The injected syscall {@code tid} made returned {@code rval}: sets up the next one. */
        void returned(int tid, long rval) {
            boolean ok;
            if (unmapping) {
                ok = false;
            } else if (buffer == 0) {
                ok = rval < 0 && rval > -4096 ? false : (buffer = rval) != 0 && writeNext(tid);
            } else if (rval == -Libc.EINTR || rval == -Libc.EAGAIN) {
                ok = ++retries < RETRIES && writeNext(tid);
            } else {
                if (rval < 0) {
                    skipContent(); // the descriptor refuses it (closed, EPIPE): on to the next one
                } else {
                    position += rval;
                    retries = 0;
                }
                ok = writeNext(tid);
            }
            if (ok) {
                return;
            }
            close();
            if (buffer != 0 && !unmapping) {
                unmapping = true;
                if (setSyscall(tid, true, Syscalls.MUNMAP, buffer, CHUNK, 0, 0, 0, 0)) {
                    return;
                }
            }
            injecting.remove(tid);
            setSyscall(tid, true, Syscalls.EXIT_GROUP, what.exitStatus(), 0, 0, 0, 0, 0);
        }

        /** Sets up the write of the next chunk; false when every content has been written (or none can be). */
        private boolean writeNext(int tid) {
            try {
                while (next < what.writes().size()) {
                    if (content == null) {
                        content = FileChannel.open(what.writes().get(next).file(), StandardOpenOption.READ);
                    }
                    Substitute.Write w = what.writes().get(next);
                    chunk.clear().limit((int) Math.min(CHUNK, Math.max(0, w.length() - position)));
                    int n = chunk.limit() == 0 ? -1 : content.read(chunk, w.offset() + position);
                    if (n > 0) {
                        byte[] bytes = new byte[n];
                        chunk.flip().get(bytes);
                        if (!TraceeMemory.write(tid, buffer, bytes)) {
                            return false;
                        }
                        return setSyscall(tid, true, Syscalls.WRITE, w.fd(), buffer, n, 0, 0, 0);
                    }
                    skipContent();
                }
            } catch (IOException e) {
                return false;
            }
            return false;
        }

        private void skipContent() {
            close();
            next++;
            position = 0;
        }

        void close() {
            if (content != null) {
                try {
                    content.close();
                } catch (IOException ignored) {
                    // read-only
                }
                content = null;
            }
        }
    }

    // ---- seccomp filter injection ----

    /**
     * Makes the stopped trampoline install the seccomp filter itself: two syscalls run by
     * pointing its registers at the {@code syscall} instruction it has just executed, then its
     * registers are put back. Returns false (tracing every syscall instead) if anything fails.
     */
    private boolean installFilter(int pid) {
        if (Libc.ptrace(Libc.PTRACE_GETREGS, pid, 0, addr(regs)) != 0) {
            return false;
        }
        long[] saved = regs.getLongArray(0, 27);
        long rip = saved[Regs.RIP];
        long rsp = saved[Regs.RSP];
        byte[] filter = filterProgram(listener.syscalls(), listener.stdFdSyscalls());
        long filterAddr = ((rsp - 8192) & ~15L);
        long progAddr = filterAddr - 16;
        Memory prog = new Memory(16);
        prog.clear();
        prog.setShort(0, (short) (filter.length / 8));
        prog.setLong(8, filterAddr);
        if (!TraceeMemory.write(pid, filterAddr, filter) || !TraceeMemory.write(pid, progAddr, prog.getByteArray(0, 16))) {
            return false;
        }
        boolean ok = injectSyscall(pid, saved, rip, Syscalls.PRCTL, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0) == 0
                && injectSyscall(pid, saved, rip, Syscalls.SECCOMP, 1 /* SECCOMP_SET_MODE_FILTER */, 0, progAddr) == 0;
        regs.write(0, saved, 0, 27);
        Libc.ptrace(Libc.PTRACE_SETREGS, pid, 0, addr(regs));
        return ok;
    }

    private long injectSyscall(int pid, long[] saved, long rip, int nr, long a0, long a1, long a2) {
        long[] r = saved.clone();
        r[Regs.RIP] = rip - 2;
        r[Regs.RAX] = nr;
        r[Regs.ORIG_RAX] = -1;
        r[Regs.RDI] = a0;
        r[Regs.RSI] = a1;
        r[Regs.RDX] = a2;
        r[Regs.R10] = 0;
        r[Regs.R8] = 0;
        r[Regs.R9] = 0;
        regs.write(0, r, 0, 27);
        if (Libc.ptrace(Libc.PTRACE_SETREGS, pid, 0, addr(regs)) != 0) {
            return -1;
        }
        // Run to the injected syscall's entry, then to its exit.
        for (int step = 0; step < 2; step++) {
            if (Libc.ptrace(Libc.PTRACE_SYSCALL, pid, 0, 0) != 0) {
                return -1;
            }
            int st = waitFor(pid, Libc.__WALL);
            if (!stopped(st) || ((st >> 8) & 0xff) != (Libc.SIGTRAP | 0x80)) {
                return -1;
            }
        }
        if (Libc.ptrace(Libc.PTRACE_GETREGS, pid, 0, addr(regs)) != 0) {
            return -1;
        }
        return regs.getLong(8L * Regs.RAX);
    }

    /** A classic BPF program: trace the given x86_64 syscalls and any other ABI, allow the rest. */
    static byte[] filterProgram(Set<Integer> syscalls) {
        return filterProgram(syscalls, Set.of());
    }

    /**
     * A classic BPF program: trace {@code syscalls} always, {@code onStdFds} only when their first
     * argument (a descriptor) is 0, 1 or 2, and any other ABI; allow the rest.
     */
    static byte[] filterProgram(Set<Integer> syscalls, Set<Integer> onStdFds) {
        List<Integer> nrs = syscalls.stream().filter(nr -> !onStdFds.contains(nr)).sorted().toList();
        List<Integer> fdNrs = onStdFds.stream().sorted().toList();
        int n = nrs.size();
        int m = fdNrs.size();
        // 0 ld arch; 1 jeq x86_64; 2 ld nr; 3 jge x32 bit; 4..4+n-1 jeq nr -> trace;
        // 4+n..4+n+m-1 jeq nr -> fd check; ret allow; [fd check: ld arg0; jge 3 -> allow; ret allow]; ret trace
        int allow = 4 + n + m;
        int fdCheck = allow + 1;
        int trace = m == 0 ? allow + 1 : fdCheck + 3;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((trace + 1) * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        insn(b, 0x20, 0, 0, 4);
        insn(b, 0x15, 0, trace - 2, AUDIT_ARCH_X86_64);
        insn(b, 0x20, 0, 0, 0);
        insn(b, 0x35, trace - 4, 0, 0x40000000);
        for (int i = 0; i < n; i++) {
            int pc = 4 + i;
            insn(b, 0x15, trace - pc - 1, 0, nrs.get(i));
        }
        for (int i = 0; i < m; i++) {
            int pc = 4 + n + i;
            insn(b, 0x15, fdCheck - pc - 1, 0, fdNrs.get(i));
        }
        insn(b, 0x06, 0, 0, SECCOMP_RET_ALLOW);
        if (m > 0) {
            insn(b, 0x20, 0, 0, 16); // the low 32 bits of args[0]
            insn(b, 0x35, 0, trace - (fdCheck + 1) - 1, 3); // >= 3 (unsigned): allow, else trace
            insn(b, 0x06, 0, 0, SECCOMP_RET_ALLOW);
        }
        insn(b, 0x06, 0, 0, SECCOMP_RET_TRACE);
        return b.array();
    }

    private static void insn(java.nio.ByteBuffer b, int code, int jt, int jf, int k) {
        if (jt > 255 || jf > 255) {
            throw new IllegalArgumentException("seccomp filter too long: a jump of " + Math.max(jt, jf));
        }
        b.putShort((short) code).put((byte) jt).put((byte) jf).putInt(k);
    }

    // ---- spawning ----

    private static int spawn(List<String> argv, Map<String, String> env, int stdoutFd, int stderrFd)
            throws IOException {
        Memory fileActions = new Memory(256);
        Memory attr = new Memory(512);
        Memory sigset = new Memory(128);
        Memory pid = new Memory(8);
        String[] full = new String[argv.size() + 4];
        full[0] = "sh";
        full[1] = "-c";
        full[2] = TRAMPOLINE;
        full[3] = "sh";
        for (int i = 0; i < argv.size(); i++) {
            full[4 + i] = argv.get(i);
        }
        String[] envp = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        StringArray argvMem = new StringArray(full);
        StringArray envMem = new StringArray(envp);
        Libc.posix_spawn_file_actions_init(addr(fileActions));
        Libc.posix_spawnattr_init(addr(attr));
        try {
            if (stdoutFd >= 0) {
                Libc.posix_spawn_file_actions_adddup2(addr(fileActions), stdoutFd, 1);
            }
            if (stderrFd >= 0) {
                Libc.posix_spawn_file_actions_adddup2(addr(fileActions), stderrFd, 2);
            }
            // The JVM's own descriptors (jars, pipes, sockets) are closed; the caller's stay open.
            Set<Integer> caller = CallerFds.of(System.getenv(RunCache.CALLER_FDS));
            Set<Integer> open = caller.isEmpty() ? null : CallerFds.open();
            if (open == null) {
                Libc.posix_spawn_file_actions_addclosefrom_np(addr(fileActions), 3);
            } else {
                for (int fd : CallerFds.closable(open, caller)) {
                    Libc.posix_spawn_file_actions_addclose(addr(fileActions), fd);
                }
            }
            // JVM threads block some signals (SIGQUIT) and ignore others: the child gets neither.
            Libc.sigemptyset(addr(sigset));
            Libc.posix_spawnattr_setsigmask(addr(attr), addr(sigset));
            Libc.sigfillset(addr(sigset));
            Libc.posix_spawnattr_setsigdefault(addr(attr), addr(sigset));
            Libc.posix_spawnattr_setflags(addr(attr),
                    (short) (Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF));
            int rc = Libc.posix_spawnp(addr(pid), "/bin/sh", addr(fileActions), addr(attr), argvMem.address(),
                    envMem.address());
            if (rc != 0) {
                throw new IOException("posix_spawnp /bin/sh failed: errno " + rc);
            }
            return pid.getInt(0);
        } finally {
            Libc.posix_spawn_file_actions_destroy(addr(fileActions));
            Libc.posix_spawnattr_destroy(addr(attr));
        }
    }

    private int waitFor(int pid, int options) {
        while (true) {
            int r = Libc.waitpid(pid, addr(status), options);
            if (r == pid) {
                return status.getInt(0);
            }
            if (r < 0 && Native.getLastError() != Libc.EINTR) {
                return 0;
            }
        }
    }

    private static boolean stopped(int st) {
        return (st & 0xff) == 0x7f;
    }

    /** A NULL-terminated array of C strings in native memory, kept alive by this object. */
    private static final class StringArray {
        private final Memory pointers;
        private final Memory[] strings;

        StringArray(String[] values) {
            pointers = new Memory(8L * (values.length + 1));
            strings = new Memory[values.length];
            for (int i = 0; i < values.length; i++) {
                byte[] b = values[i].getBytes(StandardCharsets.UTF_8);
                strings[i] = new Memory(b.length + 1L);
                strings[i].write(0, b, 0, b.length);
                strings[i].setByte(b.length, (byte) 0);
                pointers.setLong(8L * i, addr(strings[i]));
            }
            pointers.setLong(8L * values.length, 0);
        }

        long address() {
            return addr(pointers);
        }
    }

    static long addr(com.sun.jna.Pointer p) {
        return com.sun.jna.Pointer.nativeValue(p);
    }
}
