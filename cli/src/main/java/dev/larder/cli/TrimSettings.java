package dev.larder.cli;

import dev.larder.storage.h2.TrimPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The budget trims aim for, from flags or the environment ({@code LARDER_MAX_SIZE},
 * {@code LARDER_MAX_AGE}), shared by {@code larder trim} and the helper's {@code --auto-trim}.
 */
final class TrimSettings {
    private TrimSettings() {
    }

    /**
     * The policy from the flags (null when not given) or else the environment; empty if neither
     * names a size or an age.
     *
     * @throws IllegalArgumentException if a value is not a size or a duration
     */
    static Optional<TrimPolicy> policy(String maxSize, String maxAge, boolean dryRun, Map<String, String> env) {
        String size = maxSize != null ? maxSize : blankToNull(env.get("LARDER_MAX_SIZE"));
        String age = maxAge != null ? maxAge : blankToNull(env.get("LARDER_MAX_AGE"));
        if (size == null && age == null) {
            return Optional.empty();
        }
        OptionalLong bytes = size == null ? OptionalLong.empty()
                : OptionalLong.of(ByteSize.parse(size, maxSize != null ? "--max-size" : "LARDER_MAX_SIZE"));
        Optional<Duration> duration = age == null ? Optional.empty()
                : Optional.of(DurationText.parse(age, maxAge != null ? "--max-age" : "LARDER_MAX_AGE"));
        return Optional.of(new TrimPolicy(bytes, duration, dryRun));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
