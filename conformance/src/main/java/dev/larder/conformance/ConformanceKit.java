package dev.larder.conformance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs the catalogue of checks against a helper command and reports each requirement's outcome.
 *
 * <p>Each check starts the fresh helper processes it needs and ends them afterwards; every wait
 * is bounded by {@link Settings#timeout()} and every check by its budget, after which the kit
 * kills the helper and fails the check, so a run always ends. Checks whose prerequisites failed
 * (a handshake that never came) are skipped rather than failed again; checks that need a command
 * the helper does not list (put, for a read-only helper) are skipped with that reason.
 */
public final class ConformanceKit {
    private static final List<Check> CATALOGUE = Stream.of(
                    HandshakeChecks.checks(), FramingChecks.checks(), GetChecks.checks(), PutChecks.checks(),
                    ConcurrencyChecks.checks(), CloseChecks.checks(), RobustnessChecks.checks(),
                    PersistenceChecks.checks())
            .flatMap(List::stream)
            .toList();

    static {
        Set<String> ids = new HashSet<>();
        for (Check c : CATALOGUE) {
            if (!ids.add(c.id())) {
                throw new IllegalStateException("two checks with id " + c.id());
            }
        }
    }

    private ConformanceKit() {
    }

    /** Every check, in id order. */
    public static List<Check> catalogue() {
        return CATALOGUE;
    }

    /** The checks {@code settings} selects, in id order. */
    public static List<Check> selected(Settings settings) {
        return CATALOGUE.stream().filter(settings::selects).toList();
    }

    /**
     * Runs the selected checks; {@code progress} hears of each check as it starts (for a
     * progress line; the results come in the report).
     */
    public static Report run(Settings settings, Consumer<Check> progress) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        RunLog log = new RunLog();
        Probe probe = probe(settings, log);
        List<Check> selected = selected(settings);
        List<Check> order = new ArrayList<>();
        selected.stream().filter(c -> !c.runsLast()).forEach(order::add);
        selected.stream().filter(Check::runsLast).forEach(order::add);
        Map<String, Result> results = new HashMap<>();
        for (Check c : order) {
            progress.accept(c);
            results.put(c.id(), runOne(c, settings, log, probe, results));
        }
        return new Report(settings, started, Duration.ofNanos(System.nanoTime() - t0), probe.latency(),
                probe.knownCommands(), selected.stream().map(c -> results.get(c.id())).toList());
    }

    /** What a first session said, to decide which checks apply. */
    private record Probe(Optional<Duration> latency, List<String> knownCommands, boolean valid) {
    }

    private static Probe probe(Settings settings, RunLog log) {
        try (HelperSession s = HelperSession.start(settings.command(), "the probe", settings.timeout(), log)) {
            Reply r = s.handshake();
            return new Probe(s.handshakeLatency(), r.knownCommands(), true);
        } catch (CheckFailure e) {
            return new Probe(Optional.empty(), List.of(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Probe(Optional.empty(), List.of(), false);
        }
    }

    private static Result runOne(Check c, Settings settings, RunLog log, Probe probe, Map<String, Result> done) {
        for (String req : c.requires()) {
            Result r = done.get(req);
            if (r != null && r.status() == Result.Status.FAILED) {
                return Result.skipped(c, "needs " + req + " (" + r.check().title() + "), which failed");
            }
        }
        Optional<String> unmet = unmet(c, settings, probe);
        if (unmet.isPresent()) {
            return Result.skipped(c, unmet.get());
        }
        CheckContext ctx = new CheckContext(settings, c, log);
        ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "conformance-" + c.id());
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        Duration budget = c.budget(settings);
        try {
            Future<String> f = exec.submit(() -> c.body().run(ctx));
            try {
                String note = f.get(budget.toMillis(), TimeUnit.MILLISECONDS);
                return Result.passed(c, note, since(t0));
            } catch (TimeoutException e) {
                ctx.killAll();
                f.cancel(true);
                return Result.failed(c, "the check to finish within " + HelperSession.seconds(budget),
                        "it did not; the helper was killed", since(t0), ctx.stderrTail());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof CheckFailure cf) {
                    return Result.failed(c, cf.expected(), cf.actual(), since(t0), ctx.stderrTail());
                }
                if (cause instanceof CheckSkipped cs) {
                    return Result.skipped(c, cs.getMessage());
                }
                if (cause instanceof java.io.IOException io) {
                    return Result.failed(c, "the helper to keep reading its stdin",
                            "writing to it failed: " + io.getMessage(), since(t0), ctx.stderrTail());
                }
                return Result.failed(c, "the check to run", "the kit failed: " + cause, since(t0), ctx.stderrTail());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ctx.killAll();
                return Result.failed(c, "the check to run", "interrupted", since(t0), ctx.stderrTail());
            }
        } finally {
            ctx.closeAll();
            exec.shutdownNow();
        }
    }

    private static Optional<String> unmet(Check c, Settings settings, Probe probe) {
        for (Check.Need n : c.needs()) {
            switch (n) {
                case PERSISTENT -> {
                    if (!settings.persistent()) {
                        return Optional.of("run with --persistent to check a helper whose store outlives it");
                    }
                }
                case GET, PUT, CLOSE -> {
                    String cmd = n.name().toLowerCase(java.util.Locale.ROOT);
                    if (probe.valid() && !probe.knownCommands().contains(cmd)) {
                        return Optional.of("the helper does not list " + cmd + " in KnownCommands"
                                + (n == Check.Need.PUT ? " (a read-only helper)" : ""));
                    }
                }
                default -> throw new IllegalStateException("unknown need " + n);
            }
        }
        return Optional.empty();
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }
}
