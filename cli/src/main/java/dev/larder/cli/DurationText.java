package dev.larder.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them on command lines: {@code 30d}, {@code 12h}, {@code 90m}, {@code 2w}, {@code 500ms}. */
final class DurationText {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|[smhdw])", Pattern.CASE_INSENSITIVE);

    private DurationText() {
    }

    /** @throws IllegalArgumentException with a message naming {@code what}, if it is no duration */
    static Duration parse(String text, String what) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(what + ": not a duration: " + text + " (want e.g. 30d, 12h, 90m, 2w)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
    }

    /** {@code 3d 4h}, {@code 12m}, {@code 40s}: the two largest units. */
    static String format(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86400) {
            return s / 3600 + "h" + (s % 3600 >= 60 ? " " + s % 3600 / 60 + "m" : "");
        }
        return s / 86400 + "d" + (s % 86400 >= 3600 ? " " + s % 86400 / 3600 + "h" : "");
    }
}
