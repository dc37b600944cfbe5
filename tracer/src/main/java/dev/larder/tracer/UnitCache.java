package dev.larder.tracer;

import dev.larder.protocol.ActionId;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Where the {@link Recorder} looks up and stores the executions inside a traced run as units of
 * their own: the run's cache, through the same protocol and records as whole runs, read as
 * strictly and replayed within the same confinement.
 */
interface UnitCache {
    /** A recorded execution whose preconditions all hold now, staged: every content at hand, every rule checked. */
    record Hit(Manifest.Candidate candidate, Outputs outputs, Replay replay) {
    }

    /**
     * The recording of {@code identity} whose preconditions all hold now, staged for replay; null
     * if there is none (then {@link #missed} says why, and {@link #manifest} what is recorded).
     */
    Hit lookup(ActionId identity);

    /** Why the last {@link #lookup} of {@code identity} found nothing to replay. */
    String missed(ActionId identity);

    /** The usable candidates recorded under {@code identity} (as the last lookup read them). */
    Manifest manifest(ActionId identity);

    /**
     * Stores a finished unit's recording under {@code identity}, its stdout and stderr bytes from
     * {@code stdout} and {@code stderr} in {@code order}; false (and a warning) if it was not stored.
     */
    boolean store(ActionId identity, Manifest manifest, Recorder.Recording recording, Path stdout, Path stderr,
            List<Outputs.Segment> order, int exitCode, int executions);

    /** A directory for the units' captured output, removed with the run. */
    Path scratch();

    /** Says {@code line} under {@code --explain}. */
    void explain(String line);

    /**
     * What the descriptors the run's caller passed it lead to ({@code /proc} links): the whole run
     * inherited them, so a nested execution inheriting them too is no different from the run.
     */
    Set<String> callerLinks();

    /**
     * The identities nested executions were recorded with, each under its directory and command
     * line, so a unit's miss can name what differs (a variable, the executable, umask, stdin).
     */
    IdentityLog identities();

    /** Variables left out of every identity besides the built-in ones. */
    Set<String> envIgnore();
}
