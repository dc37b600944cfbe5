package dev.larder.cli;

import java.util.Locale;
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
 */
final class Logging {
    private Logging() {
    }

    static void configure(String level) {
        Level l = parse(level);
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler h = new ConsoleHandler(); // writes to System.err
        h.setLevel(l);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = formatMessage(r);
                StringBuilder sb = new StringBuilder("larder: ");
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    sb.append(r.getLevel() == Level.SEVERE ? "error: " : "warning: ");
                }
                sb.append(msg).append(System.lineSeparator());
                if (r.getThrown() != null && l.intValue() <= Level.FINE.intValue()) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    sb.append(sw);
                }
                return sb.toString();
            }
        });
        root.addHandler(h);
        root.setLevel(l);
        // H2 and other libraries stay quiet unless debugging.
        Logger.getLogger("org.h2").setLevel(l.intValue() <= Level.FINE.intValue() ? Level.INFO : Level.WARNING);
    }

    static Level parse(String level) {
        if (level == null || level.isBlank()) {
            return Level.WARNING;
        }
        switch (level.trim().toLowerCase(Locale.ROOT)) {
            case "error":
                return Level.SEVERE;
            case "warn":
            case "warning":
                return Level.WARNING;
            case "info":
                return Level.INFO;
            case "debug":
                return Level.FINE;
            case "trace":
                return Level.FINEST;
            default:
                System.err.println("larder: warning: LARDER_LOG=" + level
                        + " is not one of error, warn, info, debug; using warn");
                return Level.WARNING;
        }
    }
}
