package dev.larder.cli;

import java.util.Locale;
import java.util.TreeMap;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Sends every log line to stderr, one line each, at the level {@code $LARDER_LOG} names
 * ({@code error}, {@code warn} (the default), {@code info}, {@code debug}). stdout is never used:
 * for a helper it carries the protocol.
 *
 * <p>In the daemon each session has its own level, its client's {@code $LARDER_LOG}: a line
 * logged on a thread that serves a session is written to that session's stderr if the session's
 * level admits it, and a line logged on no session's behalf goes to the daemon's log at the
 * daemon's level. The loggers' own level is the lowest of these, so that a line nobody wants
 * costs a level check and no more.
 */
final class Logging {
    /** The level of the process's own lines: a command's, or a daemon's outside every session. */
    private static volatile Level own = Level.WARNING;
    /** How many sessions in progress asked for each level (guarded by itself). */
    private static final TreeMap<Integer, Integer> SESSIONS = new TreeMap<>();

    private Logging() {
    }

    static void configure(String level) {
        own = parse(level);
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler h = new ConsoleHandler(); // writes to System.err (in the daemon: the session's)
        h.setLevel(Level.ALL);
        h.setFilter(r -> r.getLevel().intValue() >= current().intValue());
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = formatMessage(r);
                StringBuilder sb = new StringBuilder("larder: ");
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    sb.append(r.getLevel() == Level.SEVERE ? "error: " : "warning: ");
                }
                sb.append(msg).append(System.lineSeparator());
                if (r.getThrown() != null && current().intValue() <= Level.FINE.intValue()) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    sb.append(sw);
                }
                return sb.toString();
            }
        });
        root.addHandler(h);
        applyLevels();
    }

    /**
     * Counts a daemon session at the level its client's {@code $LARDER_LOG} names (a value that
     * names none is said on the session's stderr) until the returned handle is closed.
     */
    static Session session(String level) {
        Level l = parse(level);
        synchronized (SESSIONS) {
            SESSIONS.merge(l.intValue(), 1, Integer::sum);
            applyLevels();
        }
        return () -> {
            synchronized (SESSIONS) {
                SESSIONS.computeIfPresent(l.intValue(), (k, n) -> n == 1 ? null : n - 1);
                applyLevels();
            }
        };
    }

    /** A session counted by {@link #session}; closing it ends its count. */
    interface Session extends AutoCloseable {
        @Override
        void close();
    }

    /** The level of the lines of the invocation the calling thread serves. */
    private static Level current() {
        return Invocation.inDaemon() ? quiet(Invocation.current().getenv("LARDER_LOG")) : own;
    }

    /** Sets the loggers to the lowest level anyone wants, and H2's to stay quiet unless debugging. */
    private static void applyLevels() {
        int lowest = own.intValue();
        synchronized (SESSIONS) {
            if (!SESSIONS.isEmpty()) {
                lowest = Math.min(lowest, SESSIONS.firstKey());
            }
        }
        Level l = lowest <= Level.FINEST.intValue() ? Level.FINEST
                : lowest <= Level.FINE.intValue() ? Level.FINE
                : lowest <= Level.INFO.intValue() ? Level.INFO
                : lowest <= Level.WARNING.intValue() ? Level.WARNING : Level.SEVERE;
        Logger.getLogger("").setLevel(l);
        Logger.getLogger("org.h2").setLevel(l.intValue() <= Level.FINE.intValue() ? Level.INFO : Level.WARNING);
    }

    /** The level {@code level} names; a value that names none is said on stderr, and is warn. */
    static Level parse(String level) {
        Level l = named(level);
        if (l == null) {
            System.err.println("larder: warning: LARDER_LOG=" + level
                    + " is not one of error, warn, info, debug; using warn");
            return Level.WARNING;
        }
        return l;
    }

    /** The level {@code level} names, or warn: what a line is filtered by (its value was said at the start). */
    private static Level quiet(String level) {
        Level l = named(level);
        return l != null ? l : Level.WARNING;
    }

    /** The level {@code level} names, warn if it is unset, or null if it names none. */
    private static Level named(String level) {
        if (level == null || level.isBlank()) {
            return Level.WARNING;
        }
        return switch (level.trim().toLowerCase(Locale.ROOT)) {
            case "error" -> Level.SEVERE;
            case "warn", "warning" -> Level.WARNING;
            case "info" -> Level.INFO;
            case "debug" -> Level.FINE;
            case "trace" -> Level.FINEST;
            default -> null;
        };
    }
}
