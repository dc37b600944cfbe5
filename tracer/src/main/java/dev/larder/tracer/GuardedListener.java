package dev.larder.tracer;

import java.util.Set;

/**
 * A listener that never throws: the first RuntimeException (or StackOverflowError) of the one it
 * wraps is kept, and from then on no stop reaches that listener. The trace loop then only lets
 * the tree run on to its end, as it would untraced; the run cannot be cached ({@link #failure()}).
 */
final class GuardedListener implements SyscallListener {
    private final SyscallListener inner;
    private Throwable failure;

    GuardedListener(SyscallListener inner) {
        this.inner = inner;
    }

    /** The first failure of the wrapped listener; null if it has not failed. */
    Throwable failure() {
        return failure;
    }

    @Override
    public Set<Integer> syscalls() {
        return inner.syscalls();
    }

    @Override
    public Set<Integer> stdFdSyscalls() {
        return inner.stdFdSyscalls();
    }

    @Override
    public boolean entry(int tid, int nr, long[] args) {
        if (failure != null) {
            return false;
        }
        try {
            return inner.entry(tid, nr, args);
        } catch (RuntimeException | StackOverflowError e) {
            failure = e;
            return false;
        }
    }

    @Override
    public void exit(int tid, int nr, long rval) {
        guard(() -> inner.exit(tid, nr, rval));
    }

    @Override
    public void spawned(int parent, int child) {
        guard(() -> inner.spawned(parent, child));
    }

    @Override
    public void foreignAbi(int tid) {
        guard(() -> inner.foreignAbi(tid));
    }

    @Override
    public Substitute substitute(int tid) {
        if (failure != null) {
            return null;
        }
        try {
            return inner.substitute(tid);
        } catch (RuntimeException | StackOverflowError e) {
            failure = e;
            return null;
        }
    }

    @Override
    public void exiting(int tid, int status) {
        guard(() -> inner.exiting(tid, status));
    }

    @Override
    public void ended(int tid, int status) {
        guard(() -> inner.ended(tid, status));
    }

    private void guard(Runnable call) {
        if (failure != null) {
            return;
        }
        try {
            call.run();
        } catch (RuntimeException | StackOverflowError e) {
            failure = e;
        }
    }
}
