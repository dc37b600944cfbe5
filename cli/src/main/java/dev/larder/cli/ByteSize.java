package dev.larder.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as people write them on command lines ({@code 5GiB}, {@code 512M}, {@code 1000}), and back. */
final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);

    private ByteSize() {
    }

    /**
     * Parses a size; units are binary (K = KiB = 1024), as for du and ls.
     *
     * @throws IllegalArgumentException with a message naming {@code what}, if it is no size
     */
    static long parse(String text, String what) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(what + ": not a size: " + text + " (want e.g. 5GiB, 512MiB, 1000)");
        }
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.isEmpty() ? 'b' : unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        double n = Double.parseDouble(m.group(1)) * (1L << shift);
        if (n > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException(what + ": too large: " + text);
        }
        return (long) n;
    }

    /** {@code 1.2 GiB}, {@code 340 KiB}, {@code 12 bytes}. */
    static String format(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v < 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v)) + " " + units[u];
    }
}
