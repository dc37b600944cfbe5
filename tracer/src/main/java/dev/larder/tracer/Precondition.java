package dev.larder.tracer;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One thing a recorded run looked at, and what it found: {@code path} (absolute, as the program
 * named it, resolved against its working directory) probed as {@code kind} had {@code value}
 * (see {@link Probe}). For a directory listing, {@code except} names the entries the run itself
 * created or removed, which are outputs and left out of the comparison.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
record Precondition(String path, Probe.Kind kind, String value, List<String> except) {
    Precondition {
        except = except == null ? List.of() : List.copyOf(except);
    }

    /** Whether it still holds; {@code probe}'s value for it now. */
    String current(Probe probe) {
        return probe.value(path, kind, except);
    }

    /** Why it no longer holds, for --explain: {@code src/lua.h: content changed}. */
    String describeChange(String now) {
        return path + ": " + describe(kind, value, now);
    }

    private static String describe(Probe.Kind kind, String was, String now) {
        if (now.equals("missing")) {
            return "now missing (was " + shortValue(was) + ")";
        }
        if (was.equals("missing")) {
            return "now exists (" + shortValue(now) + "), was missing";
        }
        if (was.startsWith("file ") && now.startsWith("file ")) {
            if (kind == Probe.Kind.CONTENT) {
                return "content changed";
            }
            // stat values: "file <mode> <sha256>"
            String[] w = was.split(" ");
            String[] n = now.split(" ");
            if (w.length == 3 && n.length == 3) {
                return !w[1].equals(n[1]) ? "mode changed from " + w[1] + " to " + n[1] : "content changed";
            }
        }
        if (kind == Probe.Kind.LIST && was.startsWith("list ") && now.startsWith("list ")) {
            return "directory entries changed";
        }
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " was " + shortValue(was) + ", now " + shortValue(now);
    }

    private static String shortValue(String v) {
        if ((v.startsWith("file ") || v.startsWith("list ")) && v.length() > 21) {
            return v.substring(0, 17) + "…";
        }
        return v;
    }
}
