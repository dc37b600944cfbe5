package dev.larder.tracer;

/**
 * How one {@code larder run} ended: replayed, ran and recorded, or ran and could not be
 * recorded. {@link #stats} turns it into the {@link RunStats}, exit code included.
 */
sealed interface RunOutcome {
    /** The counters, given the bytes hashed and the wall time of the whole run. */
    RunStats stats(long hashedBytes, long millis);

    /**
     * How the command ran when it was traced.
     *
     * @param executions     programs executed (successful execve calls)
     * @param tracedSyscalls syscalls the tracer stopped on
     * @param seccomp        whether the seccomp filter was in use
     * @param units          what became of the executions inside it as cache units of their own
     */
    record Execution(int exitCode, int executions, long tracedSyscalls, boolean seccomp, Units units) {
        Execution(int exitCode, int executions, long tracedSyscalls, boolean seccomp) {
            this(exitCode, executions, tracedSyscalls, seccomp, Units.NONE);
        }
    }

    /**
     * The nested executions of a traced run, as units of their own.
     *
     * @param run         units that ran (traced; recorded unless cheap or not cacheable)
     * @param skipped     units replayed instead of run
     * @param uncacheable units that ran and could not be recorded (see {@code --explain})
     */
    record Units(int run, int skipped, int uncacheable) {
        static final Units NONE = new Units(0, 0, 0);

        /** Every unit looked up: those run and those skipped. */
        int total() {
            return run + skipped;
        }
    }

    /**
     * A recorded run's outputs were replayed instead of running the command.
     *
     * @param outputs       what was replayed
     * @param preconditions how many preconditions were checked (and held)
     * @param bytes         bytes of file content, stdout and stderr written
     */
    record Hit(Outputs outputs, int preconditions, long bytes) implements RunOutcome {
        @Override
        public RunStats stats(long hashedBytes, long millis) {
            return RunStats.hit(this, hashedBytes, millis);
        }
    }

    /**
     * The command ran and was recorded (a miss).
     *
     * @param reason        why no recorded run could be replayed
     * @param preconditions preconditions recorded
     * @param outputs       file outputs recorded
     * @param bytes         bytes of file content, stdout and stderr recorded
     * @param stored        whether the recording reached the cache
     */
    record Recorded(String reason, Execution ran, int preconditions, int outputs, long bytes, boolean stored)
            implements RunOutcome {
        @Override
        public RunStats stats(long hashedBytes, long millis) {
            return RunStats.recorded(this, hashedBytes, millis);
        }
    }

    /**
     * The command ran, but what it did cannot be recorded.
     *
     * @param reason why (as {@code --explain} says it)
     */
    record Uncacheable(String reason, Execution ran) implements RunOutcome {
        @Override
        public RunStats stats(long hashedBytes, long millis) {
            return RunStats.uncacheable(this, hashedBytes, millis);
        }
    }
}
