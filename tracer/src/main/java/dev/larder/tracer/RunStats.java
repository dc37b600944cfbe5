package dev.larder.tracer;

/**
 * What one {@code larder run} did, as written by {@code --stats-json}. Made by the factories
 * {@link #hit}, {@link #recorded} and {@link #uncacheable} from the run's {@link RunOutcome}.
 *
 * @param result         {@code hit}, {@code miss} or {@code uncacheable}
 * @param reason         why it missed or was not cacheable (as {@code --explain} says it), else empty
 * @param executions     programs executed by this run (successful execve calls; 0 on a hit)
 * @param skipped        programs not executed because the run was replayed (the recorded count)
 * @param hits           1 if the run was replayed
 * @param misses         1 if it ran and was recorded (or could have been)
 * @param uncacheable    1 if it ran and could not be recorded
 * @param tracedSyscalls syscalls the tracer stopped on
 * @param preconditions  preconditions checked (hit) or recorded (miss)
 * @param outputs        file outputs replayed or recorded
 * @param outputBytes    bytes of file content, stdout and stderr replayed or recorded
 * @param hashedBytes    bytes read to hash files (the stat-keyed hash cache saves the rest)
 * @param seccomp        whether the seccomp filter was in use (else every syscall stopped)
 * @param stored         whether the recording reached the cache
 * @param exitCode       the exit code returned
 * @param millis         wall time of the whole run
 * @param units            executions inside the run looked up as cache units of their own
 * @param unitsSkipped     of those, replayed instead of run
 * @param unitsRun         of those, run (traced)
 * @param unitsUncacheable of those run, the ones that could not be recorded
 */
public record RunStats(String result, String reason, int executions, int skipped, int hits, int misses,
        int uncacheable, long tracedSyscalls, int preconditions, int outputs, long outputBytes, long hashedBytes,
        boolean seccomp, boolean stored, int exitCode, long millis, int units, int unitsSkipped, int unitsRun,
        int unitsUncacheable) {
    /** Stats of a run with no nested units. */
    public RunStats(String result, String reason, int executions, int skipped, int hits, int misses, int uncacheable,
            long tracedSyscalls, int preconditions, int outputs, long outputBytes, long hashedBytes, boolean seccomp,
            boolean stored, int exitCode, long millis) {
        this(result, reason, executions, skipped, hits, misses, uncacheable, tracedSyscalls, preconditions, outputs,
                outputBytes, hashedBytes, seccomp, stored, exitCode, millis, 0, 0, 0, 0);
    }

    /** The stats of a replayed run. */
    static RunStats hit(RunOutcome.Hit hit, long hashedBytes, long millis) {
        Outputs o = hit.outputs();
        return new RunStats("hit", "", 0, o.executions(), 1, 0, 0, 0, hit.preconditions(), o.files().size(),
                hit.bytes(), hashedBytes, false, false, o.exitCode(), millis);
    }

    /** The stats of a run that ran and was recorded (result {@code miss}). */
    static RunStats recorded(RunOutcome.Recorded miss, long hashedBytes, long millis) {
        RunOutcome.Execution ran = miss.ran();
        RunOutcome.Units u = ran.units();
        return new RunStats("miss", miss.reason(), ran.executions(), u.skipped(), 0, 1, 0, ran.tracedSyscalls(),
                miss.preconditions(), miss.outputs(), miss.bytes(), hashedBytes, ran.seccomp(), miss.stored(),
                ran.exitCode(), millis, u.total(), u.skipped(), u.run(), u.uncacheable());
    }

    /** The stats of a run that ran and could not be recorded. */
    static RunStats uncacheable(RunOutcome.Uncacheable run, long hashedBytes, long millis) {
        RunOutcome.Execution ran = run.ran();
        RunOutcome.Units u = ran.units();
        return new RunStats("uncacheable", run.reason(), ran.executions(), u.skipped(), 0, 0, 1, ran.tracedSyscalls(),
                0, 0, 0, hashedBytes, ran.seccomp(), false, ran.exitCode(), millis, u.total(), u.skipped(), u.run(),
                u.uncacheable());
    }
}
