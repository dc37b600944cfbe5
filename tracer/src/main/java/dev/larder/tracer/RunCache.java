package dev.larder.tracer;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.Response;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.IntConsumer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a command through the cache: {@code larder run -- CMD}. If a recorded run of the same
 * command (same executable, argv, environment but for the variables {@link CacheKeys#keyedEnvironment}
 * leaves out, cwd, umask and stdin) has preconditions that all
 * still hold, its outputs are replayed and the command is not run; otherwise the command runs
 * traced, and what it read and did is recorded for next time.
 *
 * <p>Everything is stored and fetched through {@code cache}, any GOCACHEPROG helper: manifests
 * and outputs as small JSON entries, contents (files, stdout, stderr) as entries named by their
 * SHA-256, verified when fetched. Manifests and outputs lists are read strictly and each
 * candidate's digest is recomputed ({@link Records}); a replay changes files only within the
 * working directory and the allowed roots ({@link Confinement}), all checked before anything
 * is touched. A cache that fails or serves a damaged, forged or disallowed entry costs a miss
 * (said under {@code --explain}), never a wrong result or a change elsewhere; a command that
 * cannot be traced still runs.
 *
 * <p>Runs the command in the JVM's working directory, with the JVM's stdin. Not thread-safe:
 * one run per JVM at a time.
 */
public final class RunCache {
    private static final long GET_TIMEOUT_SECONDS = 120;
    /**
     * How long a nested unit's lookup waits for each answer of the cache: the traced process
     * waits with it, stopped at its execve. A cache that takes longer has stalled, and the rest of
     * the run's nested units run without it.
     */
    static final long NESTED_GET_PATIENCE_SECONDS = 5;
    /** How long a nested unit's puts may take before the run goes on with the cache taken as stalled. */
    private static final long NESTED_PUT_PATIENCE_SECONDS = 60;
    /** Nested command lines whose last identities are kept (one small file each). */
    private static final int NESTED_IDENTITY_FILES = 4096;
    private static final String STALLED = "the cache stalled earlier in this run";
    private static final String GONE = "the outputs of a matching recorded run are no longer in the cache";

    /**
     * The environment variable in which {@code bin/larder} lists the descriptors above 2 that its
     * caller passed (comma-separated, those without close-on-exec), read before the JVM opens any:
     * the command inherits these, as it would untraced. Without it every descriptor above 2 is
     * closed.
     */
    public static final String CALLER_FDS = "LARDER_CALLER_FDS";

    /**
     * larder failed before the command was started (already told on the log, in one line): the
     * caller runs the command untraced, as it would without larder.
     */
    public static final class NotStarted extends IOException {
        private static final long serialVersionUID = 1L;

        NotStarted(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * How to run.
     *
     * @param hashCache file of the stat-keyed hash cache (kept across runs), if any
     * @param explain   whether to print why a run hit, missed or could not be cached, on {@code log}
     * @param identityLog directory where the identities each command ran with are kept (across
     *                   runs), so a miss can say what differs from the last run; none: not kept
     * @param nested     whether each execution inside a run that misses is a cache unit of its own
     * @param log       where larder's own messages go (stderr)
     * @param seccomp   stop only on the syscalls that matter (false: on every syscall)
     * @param allowWrite where a replay may change files besides the working directory (relative
     *                   paths against it); see {@link Confinement}
     * @param envIgnore  environment variables left out of the run's identity besides the shell's
     *                   bookkeeping ones (the command still gets them)
     */
    public record Settings(Optional<Path> hashCache, Explain explain, PrintStream log, boolean seccomp,
            List<Path> allowWrite, Set<String> envIgnore, Optional<Path> identityLog, boolean nested) {
        public Settings {
            allowWrite = List.copyOf(allowWrite);
            envIgnore = Set.copyOf(envIgnore);
        }
    }

    /** How much {@code --explain} says. */
    public enum Explain {
        /** Nothing. */
        OFF,
        /** Why the run hit, missed (the closest recording's reason) or could not be cached. */
        CLOSEST,
        /** That, and a line for each recording saying which of its preconditions no longer hold. */
        ALL
    }

    /** The run's exit code and counters. */
    public record Result(int exitCode, RunStats stats) {
    }

    private final ProtocolClient cache;
    private final Settings settings;
    private final FileHasher hasher;
    private final Probe probe;
    private final IdentityLog identities;
    private final long start = System.nanoTime();
    /** How long {@link #await} waits: the run's own lookups and stores', or a nested unit's. */
    private volatile long patienceSeconds = GET_TIMEOUT_SECONDS;
    /** Whether a nested unit's wait for the cache ran out: nested units then run without it. */
    private volatile boolean stalled;

    /** Set before the command is spawned: from then on a failure must not run it again. */
    private boolean mayHaveRun;

    private RunCache(ProtocolClient cache, Settings settings) {
        this.cache = cache;
        this.settings = settings;
        this.hasher = FileHasher.open(settings.hashCache());
        this.probe = new Probe(hasher);
        this.identities = new IdentityLog(settings.identityLog());
    }

    /**
     * Runs {@code command} (its first element looked up on {@code env}'s PATH) with environment
     * {@code env}, replaying it instead if the cache holds a run whose preconditions hold.
     *
     * @throws IOException if the command could not be started at all
     */
    public static Result run(List<String> command, Map<String, String> env, ProtocolClient cache, Settings settings)
            throws IOException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to run");
        }
        RunCache r = new RunCache(cache, settings);
        try {
            RunStats stats = r.runOrReplay(command, env).stats(r.hasher.bytesHashed(), r.millis());
            return new Result(stats.exitCode(), stats);
        } catch (RuntimeException e) {
            if (r.mayHaveRun) {
                throw e;
            }
            throw new NotStarted(r.failed(e, "the command runs untraced"), e);
        } finally {
            r.hasher.save();
        }
    }

    private RunOutcome runOrReplay(List<String> command, Map<String, String> env) throws IOException {
        String cwd = Path.of("").toAbsolutePath().toString();
        Stdin stdin = Stdin.of();
        Optional<Path> exe = Executables.find(command.get(0), env.get("PATH"), cwd);
        String exePath = exe.map(p -> Recorder.clean(p.toString())).orElse(command.get(0)); // ./tool: /w/tool
        String exeHash = exe.map(p -> probe.value(p.toString(), Probe.Kind.CONTENT, List.of())).orElse("missing");
        Map<String, String> keyedEnv = CacheKeys.keyedEnvironment(env, settings.envIgnore());
        if (cwd.equals(keyedEnv.get("PWD"))) {
            keyedEnv.remove("PWD"); // the working directory, keyed anyway (bash sets it so wherever it starts)
        }
        int umask = umask();
        String stdinIdentity = stdin.identity(probe);
        ActionId identity = CacheKeys.identity(exePath, exeHash, command, keyedEnv, cwd, umask, stdinIdentity);
        IdentityLog.Entry entry = IdentityLog.Entry.of(identity.toString(), cwd, command, exePath, exeHash, keyedEnv,
                umask, stdinIdentity);
        List<IdentityLog.Entry> earlier = identities.read(command.get(0));
        identities.remember(earlier, entry);

        Confinement confinement = Confinement.of(Path.of(cwd), settings.allowWrite());
        String inherited = CallerFds.unreplayable(CallerFds.of(System.getenv(CALLER_FDS)));
        if (inherited != null) {
            // Not replayed either: a replay would leave that file as it is.
            return record(command, env, identity, new Manifest(Manifest.VERSION, List.of()), stdin, confinement,
                    inherited, inherited);
        }
        ManifestRead read = fetchManifest(identity);
        Manifest manifest = read.manifest();
        List<Manifest.Candidate> usable = new ArrayList<>();
        boolean complete = settings.explain() != Explain.OFF;
        MissExplanation misses = new MissExplanation(complete);
        for (Manifest.Candidate c : manifest.candidates()) {
            String bad = Records.candidateProblem(identity, c);
            if (bad != null) {
                warn("refused a manifest entry from the cache: " + bad);
                misses.add(MissExplanation.Verdict.refused("the recorded run was not used: " + bad));
                continue;
            }
            usable.add(c);
            List<String> failed = changed(c, complete);
            if (!failed.isEmpty()) {
                misses.add(MissExplanation.Verdict.changed(c.preconditions().size(), failed));
                continue;
            }
            int held = c.preconditions().size();
            Optional<Outputs> outputs;
            try {
                outputs = fetchOutputs(identity, c);
            } catch (Records.Refused e) {
                warn("refused the outputs list from the cache: " + e.getMessage());
                explain("refused to replay the recorded run: " + e.getMessage());
                misses.add(MissExplanation.Verdict.problem(held, "the recorded run was not replayed: " + e.getMessage()));
                continue;
            }
            if (outputs.isEmpty()) {
                misses.add(MissExplanation.Verdict.problem(held, GONE));
                continue;
            }
            Outputs o = outputs.get();
            Replay.Staged staged = Replay.stage(o, this::fetchBlob, confinement);
            List<String> outside = confinement.outsideCwd(o.files());
            if (staged instanceof Replay.RuleBroken r) {
                explain("refused to replay the recorded run: " + r.violation());
                explainOutside("the recorded run wrote", outside);
                misses.add(MissExplanation.Verdict.problem(held, "the recorded run was not replayed: " + r.violation()));
                continue;
            }
            if (staged instanceof Replay.Ready ready) {
                try {
                    ready.replay().apply();
                } catch (IOException e) {
                    settings.log().println("larder run: warning: replaying the recorded outputs failed ("
                            + e.getMessage() + "); running the command");
                    return record(command, env, identity, new Manifest(Manifest.VERSION, usable), stdin, confinement,
                            "replay failed: " + e.getMessage());
                }
                explain("hit: replayed " + o.files().size() + " file changes and the output of "
                        + o.executions() + " programs (" + held + " preconditions hold)");
                explainOutside("replayed", outside, "under allowed roots");
                return new RunOutcome.Hit(o, held, ready.replay().bytes());
            }
            misses.add(MissExplanation.Verdict.problem(held, GONE));
        }
        String reason;
        if (read.refused() != null) {
            reason = "the recorded manifest was not used: " + read.refused();
        } else if (misses.isEmpty()) {
            reason = IdentityLog.difference(earlier, entry)
                    .orElse("not run before with this command line, environment, directory and executable");
        } else {
            reason = misses.reason();
            if (settings.explain() == Explain.ALL) {
                misses.lines().forEach(this::explain);
            }
        }
        return record(command, env, identity, new Manifest(Manifest.VERSION, usable), stdin, confinement, reason);
    }

    /** Under --explain: the changes outside the working directory, which need --allow-write to replay. */
    private void explainOutside(String what, List<String> outside) {
        explainOutside(what, outside, "a replay needs --allow-write DIR or LARDER_ALLOW_WRITE for them");
    }

    private void explainOutside(String what, List<String> outside, String note) {
        if (outside.isEmpty()) {
            return;
        }
        int shown = Math.min(outside.size(), 20);
        explain(what + " " + outside.size() + " paths outside the working directory (" + note + "): "
                + String.join(", ", outside.subList(0, shown))
                + (outside.size() > shown ? ", and " + (outside.size() - shown) + " more" : ""));
    }

    /**
     * The preconditions of {@code c} that no longer hold, described: every one if {@code all},
     * else only the first (the check stops there); empty if all hold.
     */
    private List<String> changed(Manifest.Candidate c, boolean all) {
        List<String> failed = new ArrayList<>();
        for (Precondition p : c.preconditions()) {
            String now = p.current(probe);
            String change = now.equals(p.value()) ? null : p.describeChange(now);
            if (change != null && !failed.contains(change)) { // a file read and stat'd: one change
                failed.add(change);
                if (!all) {
                    break;
                }
            }
        }
        return failed;
    }

    /** Runs the command traced and stores what it did under {@code identity}, unless it cannot be cached. */
    private RunOutcome record(List<String> command, Map<String, String> env, ActionId identity, Manifest manifest,
            Stdin stdin, Confinement confinement, String missReason) throws IOException {
        return record(command, env, identity, manifest, stdin, confinement, missReason, null);
    }

    /** As {@link #record}; a non-null {@code notCacheable} says why the run cannot be cached before it starts. */
    private RunOutcome record(List<String> command, Map<String, String> env, ActionId identity, Manifest manifest,
            Stdin stdin, Confinement confinement, String missReason, String notCacheable) throws IOException {
        Path dir = Files.createTempDirectory("larder-run-");
        try {
            Recorder recorder = new Recorder(probe, stdin.watch(),
                    settings.nested() ? new NestedUnits(dir, confinement) : null);
            if (notCacheable != null) {
                recorder.notCacheable(notCacheable);
            }
            GuardedListener guarded = new GuardedListener(recorder);
            OutputCapture capture = OutputCapture.start(dir);
            TraceLoop.Outcome traced = null;
            int interrupted;
            mayHaveRun = true;
            try (SignalForwarding signals = SignalForwarding.install()) {
                try {
                    traced = trace(command, env, capture, guarded, pid -> {
                        recorder.root(pid);
                        signals.root(pid);
                    });
                } finally {
                    // Processes left running may hold the pipes open: what they write later is not the run's.
                    capture.await(traced != null && traced.leftRunning() > 0);
                }
                interrupted = signals.received();
            }
            RunOutcome.Units units = recorder.unitCounts();
            RunOutcome.Execution ran = new RunOutcome.Execution(traced.exitCode(), recorder.executions(),
                    traced.stops(), traced.seccomp(), units);
            if (settings.nested()) {
                explain("units: " + units.run() + " run, " + units.skipped() + " skipped, " + units.uncacheable()
                        + " not cacheable");
            }
            if (interrupted != 0) {
                recorder.notCacheable("interrupted by signal " + interrupted);
            }
            if (guarded.failure() != null) {
                recorder.notCacheable(tracerFailed(guarded.failure()));
            }
            Recorder.Recording rec;
            try {
                rec = recording(recorder, traced, capture);
            } catch (RuntimeException e) {
                rec = null;
                recorder.notCacheable(tracerFailed(e));
            }
            if (rec == null) {
                explain("not cacheable: " + recorder.uncacheable());
                return new RunOutcome.Uncacheable(recorder.uncacheable(), ran);
            }
            explain("miss: " + missReason);
            boolean stored;
            try {
                stored = store(identity, manifest, rec, capture, ran);
            } catch (RuntimeException e) {
                String why = tracerFailed(e);
                explain("not cacheable: " + why);
                return new RunOutcome.Uncacheable(why, ran);
            }
            if (stored) {
                explain("recorded " + rec.preconditions().size() + " preconditions and " + rec.files().size()
                        + " file changes");
                explainOutside("the run wrote", confinement.outsideCwd(rec.files()));
            }
            long bytes = capture.bytes() + rec.contents().stream().mapToLong(c -> c.blob().size()).sum();
            return new RunOutcome.Recorded(missReason, ran, rec.preconditions().size(), rec.files().size(), bytes,
                    stored);
        } finally {
            LocalFiles.deleteTree(dir);
        }
    }

    /**
     * Runs the command under {@code recorder} on a platform thread of its own: it makes every
     * ptrace call, and its waitpid sees only its own children (not, say, a helper process the
     * main thread started).
     *
     * @throws IOException if the command could not be spawned
     */
    private TraceLoop.Outcome trace(List<String> command, Map<String, String> env, OutputCapture capture,
            SyscallListener listener, IntConsumer onRoot) throws IOException {
        FutureTask<TraceLoop.Outcome> task = new FutureTask<>(() -> {
            try {
                return TraceLoop.run(command, env, capture.outWrite(), capture.errWrite(), listener,
                        settings.seccomp(), onRoot);
            } finally {
                capture.closeWriteEnds();
            }
        });
        Thread tracer = new Thread(task, "larder-tracer");
        tracer.start();
        join(tracer);
        try {
            return task.get(); // done: the thread has ended
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Why the run cannot be cached after {@code e} failed larder itself (say, a file name the
     * JVM's file-name encoding cannot represent), told on the log in one line (with the stack
     * trace at the debug level): the command still ran to its end.
     */
    private String tracerFailed(Throwable e) {
        return failed(e, "the command ran to its end, not cached");
    }

    /** Tells on the log, in one line (the stack trace at the debug level), that {@code e} failed larder. */
    private String failed(Throwable e, String consequence) {
        String why = "larder failed while tracing (" + e + ")";
        settings.log().println("larder run: warning: " + why + "; " + consequence);
        System.getLogger("dev.larder.tracer").log(System.Logger.Level.DEBUG, why, e);
        return why;
    }

    /** The recording, or null (the recorder saying why) if the run cannot be cached. */
    private static Recorder.Recording recording(Recorder recorder, TraceLoop.Outcome traced, OutputCapture capture) {
        if (!traced.traced()) {
            recorder.notCacheable("tracing failed: " + traced.traceFailure());
        } else if (traced.signalled()) {
            recorder.notCacheable("killed by signal " + (traced.waitStatus() & 0x7f));
        } else if (traced.leftRunning() > 0) {
            // Its outputs may still change after the command's end, unseen.
            recorder.notCacheable("left a process running");
        }
        if (capture.failure() != null) {
            recorder.notCacheable("could not capture the output: " + capture.failure().getMessage());
        }
        return recorder.uncacheable() == null ? recorder.finish() : null;
    }

    /**
     * The run's cache as the recorder's {@link UnitCache}: nested executions are looked up and
     * stored as whole runs are, read as strictly and replayed within the same confinement.
     */
    private final class NestedUnits implements UnitCache {
        private final Path scratch;
        private final Confinement confinement;
        private final Map<ActionId, String> missed = new HashMap<>();
        private final Map<ActionId, Manifest> manifests = new HashMap<>();
        private Path empty;
        private Set<String> callerLinks;
        private IdentityLog nestedIdentities;

        NestedUnits(Path scratch, Confinement confinement) {
            this.scratch = scratch;
            this.confinement = confinement;
        }

        @Override
        public Hit lookup(ActionId identity) {
            if (stalled) {
                missed.put(identity, STALLED);
                return null;
            }
            Hit hit = patiently(NESTED_GET_PATIENCE_SECONDS, () -> find(identity));
            if (stalled) {
                warn("the cache did not answer a nested unit's lookup within " + NESTED_GET_PATIENCE_SECONDS
                        + " s; the rest of this run's nested units run without it");
                missed.put(identity, STALLED);
                return null;
            }
            return hit;
        }

        private Hit find(ActionId identity) {
            ManifestRead read = fetchManifest(identity);
            List<Manifest.Candidate> usable = new ArrayList<>();
            String why = read.refused() != null ? "the recorded manifest was not used: " + read.refused() : null;
            for (Manifest.Candidate c : read.manifest().candidates()) {
                if (Records.candidateProblem(identity, c) != null) {
                    continue;
                }
                usable.add(c);
                List<String> failed = changed(c, false);
                if (!failed.isEmpty()) {
                    why = why == null ? failed.get(0) : why;
                    continue;
                }
                try {
                    Optional<Outputs> o = fetchOutputs(identity, c);
                    if (o.isPresent() && Replay.stage(o.get(), RunCache.this::fetchBlob, confinement)
                            instanceof Replay.Ready ready) {
                        return new Hit(c, o.get(), ready.replay());
                    }
                    why = why == null ? GONE : why;
                } catch (Records.Refused e) {
                    why = why == null ? "the recorded run was not replayed: " + e.getMessage() : why;
                }
            }
            manifests.put(identity, new Manifest(Manifest.VERSION, usable));
            missed.put(identity, why == null ? "not run before with this command line, environment and directory"
                    : why);
            return null;
        }

        @Override
        public String missed(ActionId identity) {
            return missed.remove(identity);
        }

        @Override
        public Manifest manifest(ActionId identity) {
            Manifest m = manifests.remove(identity);
            return m == null ? Manifest.empty() : m;
        }

        @Override
        public boolean store(ActionId identity, Manifest manifest, Recorder.Recording rec, Path stdout, Path stderr,
                List<Outputs.Segment> order, int exitCode, int executions) {
            if (stalled) {
                return false;
            }
            try {
                if (empty == null) {
                    empty = Files.createTempFile(scratch, "empty-", ".out");
                }
                Path out = stdout == null ? empty : stdout;
                Path err = stderr == null ? empty : stderr;
                patiently(NESTED_PUT_PATIENCE_SECONDS, () -> {
                    putRecording(identity, manifest, rec, out, err, order, exitCode, executions);
                    return null;
                });
                return true;
            } catch (IOException ex) {
                warn("a nested unit was not stored in the cache: " + ex.getMessage()
                        + (stalled ? "; the rest of this run's nested units run without it" : ""));
                return false;
            }
        }

        @Override
        public Path scratch() {
            return scratch;
        }

        @Override
        public void explain(String line) {
            if (settings.explain() == Explain.ALL || (settings.explain() == Explain.CLOSEST
                    && !line.startsWith("unit skipped") && !line.startsWith("not a unit"))) {
                settings.log().println("larder run: " + line);
            }
        }

        @Override
        public Set<String> envIgnore() {
            return settings.envIgnore();
        }

        @Override
        public IdentityLog identities() {
            if (nestedIdentities == null) {
                nestedIdentities = new IdentityLog(settings.identityLog().map(d -> d.resolveSibling("nested-identities")),
                        NESTED_IDENTITY_FILES);
            }
            return nestedIdentities;
        }

        @Override
        public Set<String> callerLinks() {
            if (callerLinks == null) {
                callerLinks = new HashSet<>();
                for (int fd : CallerFds.of(System.getenv(CALLER_FDS))) {
                    try {
                        callerLinks.add(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
                    } catch (IOException | RuntimeException e) {
                        // closed since
                    }
                }
            }
            return callerLinks;
        }
    }

    /** Stores contents, then the outputs, then the manifest naming them; false (and a warning) if any failed. */
    private boolean store(ActionId identity, Manifest manifest, Recorder.Recording rec, OutputCapture capture,
            RunOutcome.Execution ran) {
        try {
            putRecording(identity, manifest, rec, capture.stdout(), capture.stderr(), List.of(), ran.exitCode(),
                    ran.executions());
            return true;
        } catch (IOException e) {
            settings.log().println("larder run: warning: the run was not stored in the cache: " + e.getMessage());
            return false;
        }
    }

    /**
     * Puts a recording under {@code identity}: its contents (stdout, stderr and every file), then
     * its outputs list, then {@code manifest} with it added, each after the ones before have landed.
     */
    private void putRecording(ActionId identity, Manifest manifest, Recorder.Recording rec, Path stdout, Path stderr,
            List<Outputs.Segment> order, int exitCode, int executions) throws IOException {
        List<CompletableFuture<Response>> puts = new ArrayList<>();
        Outputs.Blob out = putBlob(stdout, blob(stdout), puts);
        Outputs.Blob err = putBlob(stderr, blob(stderr), puts);
        for (Recorder.Content c : rec.contents()) {
            putBlob(c.open(), c.blob(), puts);
        }
        awaitPuts(puts);
        Outputs outputs = new Outputs(1, exitCode, out, err, rec.files(), executions, order);
        String digest = CacheKeys.digest(identity, rec.preconditions());
        awaitPuts(List.of(cache.put(CacheKeys.outputs(identity, digest), Records.write(outputs))));
        Manifest updated = manifest.adding(new Manifest.Candidate(digest, rec.preconditions()));
        awaitPuts(List.of(cache.put(identity, Records.write(updated))));
    }

    private Outputs.Blob blob(Path file) throws IOException {
        OutputId sha256 = hasher.hash(file);
        return Outputs.Blob.of(sha256, Files.size(file));
    }

    /** Starts putting {@code file}, whose content is {@code blob}, as a content entry; returns {@code blob}. */
    private Outputs.Blob putBlob(Path file, Outputs.Blob blob, List<CompletableFuture<Response>> puts)
            throws IOException {
        return putBlob(Files.newInputStream(file), blob, puts);
    }

    /** Starts putting the bytes of {@code in} (closed when the put completes), whose content is {@code blob}. */
    private Outputs.Blob putBlob(InputStream in, Outputs.Blob blob, List<CompletableFuture<Response>> puts) {
        OutputId sha256 = blob.outputId();
        puts.add(cache.put(CacheKeys.blob(sha256), sha256, blob.size(), in).whenComplete((r, e) -> closeQuietly(in)));
        return blob;
    }

    private void awaitPuts(List<CompletableFuture<Response>> puts) throws IOException {
        for (CompletableFuture<Response> f : puts) {
            Response r = await(f);
            if (r.isError()) {
                throw new IOException("put: " + r.err());
            }
        }
    }

    /**
     * {@code f}'s answer, waited for at most {@link #patienceSeconds}; a nested unit's wait that
     * runs out marks the cache {@link #stalled}.
     */
    private Response await(CompletableFuture<Response> f) throws IOException {
        long patience = patienceSeconds;
        try {
            return f.get(patience, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            if (patience < GET_TIMEOUT_SECONDS) {
                stalled = true;
            }
            throw new IOException("the cache did not answer within " + patience + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Work that may fail with an I/O error. */
    @FunctionalInterface
    private interface Waiting<T, E extends Exception> {
        T run() throws E;
    }

    /** Runs {@code work} with {@link #await} waiting at most {@code seconds} for each answer. */
    private <T, E extends Exception> T patiently(long seconds, Waiting<T, E> work) throws E {
        long before = patienceSeconds;
        patienceSeconds = seconds;
        try {
            return work.run();
        } finally {
            patienceSeconds = before;
        }
    }

    /** A hit's local file, if the cache has {@code action}; failures are misses, with a warning. */
    private Optional<Path> fetch(ActionId action) {
        if (stalled && patienceSeconds < GET_TIMEOUT_SECONDS) {
            return Optional.empty(); // a nested unit's lookup, after the cache stalled: said once
        }
        try {
            Response r = await(cache.get(action));
            if (r.isError()) {
                settings.log().println("larder run: warning: cache get failed: " + r.err());
                return Optional.empty();
            }
            if (r.miss() || r.diskPath() == null || r.diskPath().isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(Path.of(r.diskPath()));
        } catch (IOException e) {
            if (!stalled) {
                settings.log().println("larder run: warning: cache get failed: " + e.getMessage());
            }
            return Optional.empty();
        }
    }

    /** A content's local file, checked against its digest and size; empty if missing or damaged. */
    private Optional<Path> fetchBlob(Outputs.Blob blob) {
        Optional<Path> p = fetch(CacheKeys.blob(blob.outputId()));
        if (p.isEmpty()) {
            return p;
        }
        try {
            if (Files.size(p.get()) == blob.size() && OutputId.of(p.get()).equals(blob.outputId())) {
                return p;
            }
        } catch (IOException e) {
            // unreadable: as damaged
        }
        settings.log().println("larder run: warning: the cache served a damaged content for "
                + blob.sha256().substring(0, 12) + "; not used");
        return Optional.empty();
    }

    /** A manifest as fetched: empty when missing or refused; {@code refused} says why, or is null. */
    private record ManifestRead(Manifest manifest, String refused) {
    }

    /** The manifest stored under {@code identity}, read strictly; empty if missing or refused (with a warning). */
    private ManifestRead fetchManifest(ActionId identity) {
        Optional<byte[]> body = fetchRecord(identity);
        if (body.isEmpty()) {
            return new ManifestRead(Manifest.empty(), null);
        }
        try {
            return new ManifestRead(Records.manifest(body.get()), null);
        } catch (Records.Refused e) {
            if (!e.getMessage().contains("older larder")) {
                warn("refused the manifest from the cache: " + e.getMessage());
            }
            return new ManifestRead(Manifest.empty(), e.getMessage());
        }
    }

    /**
     * Candidate {@code c}'s outputs, read strictly; empty if missing.
     *
     * @throws Records.Refused if the cache holds an outputs list that must not be used
     */
    private Optional<Outputs> fetchOutputs(ActionId identity, Manifest.Candidate c) throws Records.Refused {
        Optional<byte[]> body = fetchRecord(CacheKeys.outputs(identity, c.digest()));
        return body.isEmpty() ? Optional.empty() : Optional.of(Records.outputs(body.get()));
    }

    /** A record's bytes, if the cache has it and it is not larger than {@link Records#MAX_BYTES}. */
    private Optional<byte[]> fetchRecord(ActionId action) {
        Optional<Path> p = fetch(action);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        try {
            if (Files.size(p.get()) > Records.MAX_BYTES) {
                warn("refused a record of " + Files.size(p.get()) + " bytes from the cache (at most "
                        + Records.MAX_BYTES + ")");
                return Optional.empty();
            }
            return Optional.of(Files.readAllBytes(p.get()));
        } catch (IOException e) {
            warn("unreadable entry in the cache (" + e.getMessage() + "); ignored");
            return Optional.empty();
        }
    }

    private void warn(String message) {
        settings.log().println("larder run: warning: " + message);
    }

    private void explain(String message) {
        if (settings.explain() != Explain.OFF) {
            settings.log().println("larder run: " + message);
        }
    }

    private long millis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The process's umask, from /proc/self/status (umask(2) would have to change it to read it). */
    static int umask() {
        return umaskOf("self");
    }

    /** Process {@code pid}'s umask, from its /proc status (022 if it cannot be read). */
    static int umaskOf(int pid) {
        return umaskOf(Integer.toString(pid));
    }

    private static int umaskOf(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring(6).strip(), 8);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 022;
    }

    /** Waits for {@code t} to end; an interrupt is kept for later, not acted on. */
    static void join(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
