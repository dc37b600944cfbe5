package dev.larder.tracer;

import java.util.Set;

/**
 * What {@link TraceLoop} tells about a traced process tree, always from the tracing thread and
 * while the thread in question is stopped (so its memory and {@code /proc} entries are stable).
 */
interface SyscallListener {
    /** The syscall numbers this listener wants to see; the seccomp filter stops on these only. */
    Set<Integer> syscalls();

    /**
     * Those of {@link #syscalls()} worth a stop only when their first argument, a descriptor, is
     * 0, 1 or 2 (reads of stdin, writes to stdout and stderr): the seccomp filter lets the others
     * through.
     */
    default Set<Integer> stdFdSyscalls() {
        return Set.of();
    }

    /**
     * A thread entered a syscall in {@link #syscalls()}; {@code args} are its six arguments.
     *
     * @return whether to stop the thread again at the syscall's exit and call {@link #exit}
     */
    boolean entry(int tid, int nr, long[] args);

    /** The syscall last passed to {@link #entry} for {@code tid} returned {@code rval}. */
    void exit(int tid, int nr, long rval);

    /** {@code parent} forked, vforked or cloned {@code child} (a process or a thread). */
    void spawned(int parent, int child);

    /** A thread used a syscall ABI the tracer does not decode (32-bit or x32). */
    void foreignAbi(int tid);

    /**
     * Asked right after {@link #entry} (the thread still at the syscall's entry): what the thread
     * does instead of that syscall, or null to let it run. Only an execve or execveat may be
     * substituted.
     */
    default Substitute substitute(int tid) {
        return null;
    }

    /**
     * A thread is exiting ({@code PTRACE_EVENT_EXIT}): its process's memory, descriptors and
     * {@code /proc} entries are still there, and its parent has not seen the exit yet.
     * {@code status} is its wait status as the parent will see it.
     */
    default void exiting(int tid, int status) {
    }

    /**
     * A thread has ended ({@code status} as waitpid gives it). Its parent has not been told yet:
     * files it left are as it left them, unless others in the tree changed them since.
     */
    default void ended(int tid, int status) {
    }
}
