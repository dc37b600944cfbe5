package dev.larder.storage.h2;

/**
 * Whether this process hosts the stores it opens ({@link LocalStore#hostInProcess}): set once, at
 * the start of a long-lived process, and never unset. What {@link LocalStore#open} and
 * {@code IndexClient} ask to choose between a shared, owned store and an index server.
 */
final class Hosting {
    private static volatile boolean on;

    private Hosting() {
    }

    static void start() {
        on = true;
    }

    static boolean on() {
        return on;
    }
}
