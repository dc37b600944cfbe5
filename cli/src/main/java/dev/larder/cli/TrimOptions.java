package dev.larder.cli;

import dev.larder.storage.h2.TrimSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import picocli.CommandLine.Option;

/**
 * The budget trims aim for: the picocli mixin of {@code --max-size} and {@code --max-age}, with
 * the environment ({@code LARDER_MAX_SIZE}, {@code LARDER_MAX_AGE}) as their defaults, shared by
 * {@code larder trim} and the helper's {@code --auto-trim}.
 */
final class TrimOptions {
    @Option(names = "--max-size", paramLabel = "SIZE", description = "Size budget for all outputs (or LARDER_MAX_SIZE).")
    private String maxSize;

    @Option(names = "--max-age", paramLabel = "AGE",
            description = "Remove entries unused for longer than AGE (or LARDER_MAX_AGE).")
    private String maxAge;

    /**
     * The settings these flags (or else {@code env}) name; empty if neither names a size or an age.
     *
     * @throws IllegalArgumentException if a value is not a size or a duration
     */
    Optional<TrimSettings> settings(boolean dryRun, Map<String, String> env) {
        return settings(maxSize, maxAge, dryRun, env);
    }

    /** As {@link #settings(boolean, Map)}, from flag values (null when not given). */
    static Optional<TrimSettings> settings(String maxSize, String maxAge, boolean dryRun, Map<String, String> env) {
        String size = maxSize != null ? maxSize : blankToNull(env.get("LARDER_MAX_SIZE"));
        String age = maxAge != null ? maxAge : blankToNull(env.get("LARDER_MAX_AGE"));
        if (size == null && age == null) {
            return Optional.empty();
        }
        OptionalLong bytes = size == null ? OptionalLong.empty()
                : OptionalLong.of(ByteSize.parse(size, maxSize != null ? "--max-size" : "LARDER_MAX_SIZE"));
        Optional<Duration> duration = age == null ? Optional.empty()
                : Optional.of(DurationText.parse(age, maxAge != null ? "--max-age" : "LARDER_MAX_AGE"));
        return Optional.of(new TrimSettings(bytes, duration, dryRun));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
