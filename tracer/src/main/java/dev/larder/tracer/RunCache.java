package dev.larder.tracer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a command through the cache: {@code larder run -- CMD}. If a recorded run of the same
 * command (same executable, argv, environment, cwd, umask and stdin) has preconditions that all
 * still hold, its outputs are replayed and the command is not run; otherwise the command runs
 * traced, and what it read and did is recorded for next time.
 *
 * <p>Everything is stored and fetched through {@code cache}, any GOCACHEPROG helper: manifests
 * and outputs as small JSON entries, contents (files, stdout, stderr) as entries named by their
 * SHA-256, verified when fetched. A cache that fails or serves a damaged entry costs a miss,
 * never a wrong result; a command that cannot be traced still runs.
 *
 * <p>Runs the command in the JVM's working directory, with the JVM's stdin. Not thread-safe:
 * one run per JVM at a time.
 */
public final class RunCache {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final long GET_TIMEOUT_SECONDS = 120;

    /**
     * How to run.
     *
     * @param hashCache file of the stat-keyed hash cache (kept across runs), if any
     * @param explain   print why a run hit, missed or could not be cached, on {@code log}
     * @param log       where larder's own messages go (stderr)
     * @param seccomp   stop only on the syscalls that matter (false: on every syscall)
     */
    public record Settings(Optional<Path> hashCache, boolean explain, PrintStream log, boolean seccomp) {
    }

    /** The run's exit code and counters. */
    public record Result(int exitCode, RunStats stats) {
    }

    private final ProtocolClient cache;
    private final Settings settings;
    private final FileHasher hasher;
    private final Probe probe;
    private final long start = System.nanoTime();

    private RunCache(ProtocolClient cache, Settings settings) {
        this.cache = cache;
        this.settings = settings;
        this.hasher = FileHasher.open(settings.hashCache());
        this.probe = new Probe(hasher);
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
        } finally {
            r.hasher.save();
        }
    }

    private RunOutcome runOrReplay(List<String> command, Map<String, String> env) throws IOException {
        String cwd = Path.of("").toAbsolutePath().toString();
        Stdin stdin = Stdin.of();
        Optional<Path> exe = Executables.find(command.get(0), env.get("PATH"), cwd);
        String exeHash = exe.map(p -> probe.value(p.toString(), Probe.Kind.CONTENT, List.of())).orElse("missing");
        ActionId identity = CacheKeys.identity(exe.map(Path::toString).orElse(command.get(0)), exeHash, command, env,
                cwd, umask(), stdin.identity(probe));

        Manifest manifest = fetchJson(identity, Manifest.class).orElse(Manifest.empty());
        String reason;
        if (manifest.candidates().isEmpty()) {
            reason = "not run before with this command line, environment, directory and executable";
        } else {
            reason = null;
            for (Manifest.Candidate c : manifest.candidates()) {
                String failed = firstChanged(c);
                if (failed != null) {
                    if (reason == null) {
                        reason = failed;
                    }
                    continue;
                }
                Optional<Outputs> outputs = fetchJson(CacheKeys.outputs(identity, c.digest()), Outputs.class);
                Optional<Replay> replay = outputs.flatMap(o -> Replay.stage(o, this::fetchBlob));
                if (replay.isPresent()) {
                    Outputs o = outputs.get();
                    try {
                        replay.get().apply();
                    } catch (IOException e) {
                        settings.log().println("larder run: warning: replaying the recorded outputs failed ("
                                + e.getMessage() + "); running the command");
                        return record(command, env, identity, manifest, stdin, "replay failed: " + e.getMessage());
                    }
                    explain("hit: replayed " + o.files().size() + " file changes and the output of "
                            + o.executions() + " programs (" + c.preconditions().size() + " preconditions hold)");
                    return new RunOutcome.Hit(o, c.preconditions().size(), replay.get().bytes());
                }
                if (reason == null) {
                    reason = "the outputs of a matching recorded run are no longer in the cache";
                }
            }
            if (manifest.candidates().size() > 1) {
                reason += " (and " + (manifest.candidates().size() - 1) + " older recordings did not match either)";
            }
        }
        return record(command, env, identity, manifest, stdin, reason);
    }

    /** The first precondition of {@code c} that no longer holds, described; null if all hold. */
    private String firstChanged(Manifest.Candidate c) {
        for (Precondition p : c.preconditions()) {
            String now = p.current(probe);
            if (!now.equals(p.value())) {
                return p.describeChange(now);
            }
        }
        return null;
    }

    /** Runs the command traced and stores what it did under {@code identity}, unless it cannot be cached. */
    private RunOutcome record(List<String> command, Map<String, String> env, ActionId identity, Manifest manifest,
            Stdin stdin, String missReason) throws IOException {
        Path dir = Files.createTempDirectory("larder-run-");
        try {
            Recorder recorder = new Recorder(probe, stdin.watch());
            OutputCapture capture = OutputCapture.start(dir);
            TraceLoop.Outcome traced;
            try {
                traced = trace(command, env, capture, recorder);
            } finally {
                capture.await();
            }
            RunOutcome.Execution ran = new RunOutcome.Execution(traced.exitCode(), recorder.executions(),
                    traced.stops(), traced.seccomp());
            Recorder.Recording rec = recording(recorder, traced, capture);
            if (rec == null) {
                explain("not cacheable: " + recorder.uncacheable());
                return new RunOutcome.Uncacheable(recorder.uncacheable(), ran);
            }
            explain("miss: " + missReason);
            boolean stored = store(identity, manifest, rec, capture, ran);
            if (stored) {
                explain("recorded " + rec.preconditions().size() + " preconditions and " + rec.files().size()
                        + " file changes");
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
            Recorder recorder) throws IOException {
        FutureTask<TraceLoop.Outcome> task = new FutureTask<>(() -> {
            try {
                return TraceLoop.run(command, env, capture.outWrite(), capture.errWrite(), recorder,
                        settings.seccomp(), recorder::root);
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

    /** The recording, or null (the recorder saying why) if the run cannot be cached. */
    private static Recorder.Recording recording(Recorder recorder, TraceLoop.Outcome traced, OutputCapture capture) {
        if (!traced.traced()) {
            recorder.notCacheable("tracing failed: " + traced.traceFailure());
        } else if (traced.signalled()) {
            recorder.notCacheable("killed by signal " + (traced.waitStatus() & 0x7f));
        }
        if (capture.failure() != null) {
            recorder.notCacheable("could not capture the output: " + capture.failure().getMessage());
        }
        return recorder.uncacheable() == null ? recorder.finish() : null;
    }

    /** Stores contents, then the outputs, then the manifest naming them; false (and a warning) if any failed. */
    private boolean store(ActionId identity, Manifest manifest, Recorder.Recording rec, OutputCapture capture,
            RunOutcome.Execution ran) {
        try {
            List<CompletableFuture<Response>> puts = new ArrayList<>();
            Outputs.Blob out = putBlob(capture.stdout(), blob(capture.stdout()), puts);
            Outputs.Blob err = putBlob(capture.stderr(), blob(capture.stderr()), puts);
            for (Recorder.Content c : rec.contents()) {
                putBlob(c.file(), c.blob(), puts);
            }
            awaitPuts(puts);
            Outputs outputs = new Outputs(1, ran.exitCode(), out, err, rec.files(), ran.executions());
            String digest = CacheKeys.digest(rec.preconditions());
            awaitPuts(List.of(cache.put(CacheKeys.outputs(identity, digest), JSON.writeValueAsBytes(outputs))));
            Manifest updated = manifest.adding(new Manifest.Candidate(digest, rec.preconditions()));
            awaitPuts(List.of(cache.put(identity, JSON.writeValueAsBytes(updated))));
            return true;
        } catch (IOException e) {
            settings.log().println("larder run: warning: the run was not stored in the cache: " + e.getMessage());
            return false;
        }
    }

    private Outputs.Blob blob(Path file) throws IOException {
        OutputId sha256 = hasher.hash(file);
        return Outputs.Blob.of(sha256, Files.size(file));
    }

    /** Starts putting {@code file}, whose content is {@code blob}, as a content entry; returns {@code blob}. */
    private Outputs.Blob putBlob(Path file, Outputs.Blob blob, List<CompletableFuture<Response>> puts)
            throws IOException {
        InputStream in = Files.newInputStream(file);
        OutputId sha256 = blob.outputId();
        puts.add(cache.put(CacheKeys.blob(sha256), sha256, blob.size(), in).whenComplete((r, e) -> closeQuietly(in)));
        return blob;
    }

    private static void awaitPuts(List<CompletableFuture<Response>> puts) throws IOException {
        for (CompletableFuture<Response> f : puts) {
            Response r = await(f);
            if (r.isError()) {
                throw new IOException("put: " + r.err());
            }
        }
    }

    private static Response await(CompletableFuture<Response> f) throws IOException {
        try {
            return f.get(GET_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the cache did not answer within " + GET_TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** A hit's local file, if the cache has {@code action}; failures are misses, with a warning. */
    private Optional<Path> fetch(ActionId action) {
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
            settings.log().println("larder run: warning: cache get failed: " + e.getMessage());
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

    private <T> Optional<T> fetchJson(ActionId action, Class<T> type) {
        Optional<Path> p = fetch(action);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        try {
            byte[] body = Files.readAllBytes(p.get());
            return Optional.of(JSON.readValue(body, type));
        } catch (IOException e) {
            settings.log().println("larder run: warning: unreadable " + type.getSimpleName().toLowerCase()
                    + " entry in the cache (" + e.getMessage() + "); ignored");
            return Optional.empty();
        }
    }

    private void explain(String message) {
        if (settings.explain()) {
            settings.log().println("larder run: " + message);
        }
    }

    private long millis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The process's umask, from /proc/self/status (umask(2) would have to change it to read it). */
    static int umask() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
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
