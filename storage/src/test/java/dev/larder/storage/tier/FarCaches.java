package dev.larder.storage.tier;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts {@link FarCache}s for the tests of one class, and stops each test's caches once the test
 * (its {@code @AfterEach} methods included, which close the stores uploading to them) is over.
 * They are stopped in the background and awaited after the class: JDK 17's
 * {@code HttpServer.stop} waits out its whole grace period (5 s for {@code CacheServer}) even
 * with no request in progress, which would otherwise add 5 s to every test.
 *
 * <p>Register it as a static {@code @RegisterExtension} field.
 */
final class FarCaches implements AfterEachCallback, AfterAllCallback {
    private final List<FarCache> running = new ArrayList<>();
    private final List<Thread> stopping = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private int started;

    /** Starts a far cache over a new store under {@code root}, which must outlive the class (a static {@code @TempDir}). */
    synchronized FarCache start(Path root, Optional<String> token, InstantSource clock) throws IOException {
        FarCache far = FarCache.start(root.resolve("far-" + started++), token, clock);
        running.add(far);
        return far;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) {
        for (FarCache far : running) {
            Thread t = new Thread(() -> {
                try {
                    far.close();
                } catch (IOException | RuntimeException e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "stop-far-cache");
            t.start();
            stopping.add(t);
        }
        running.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<Thread> threads;
        synchronized (this) {
            threads = List.copyOf(stopping);
        }
        for (Thread t : threads) {
            t.join();
        }
        synchronized (failures) {
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("stopping far caches: got " + failures.size() + " failures, want none");
                failures.forEach(e::addSuppressed);
                throw e;
            }
        }
    }
}
