package dev.larder.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the local store lives: {@code --dir}, else {@code $LARDER_DIR}, else
 * {@code $XDG_CACHE_HOME/larder}, else {@code ~/.cache/larder}. Always absolute.
 */
final class StoreLocation {
    private StoreLocation() {
    }

    static Path resolve(Path dirOption, Map<String, String> env, String userHome) {
        return resolve(dirOption, env, userHome, Path.of("").toAbsolutePath());
    }

    /** As {@link #resolve(Path, Map, String)}, relative paths taken from {@code cwd}. */
    static Path resolve(Path dirOption, Map<String, String> env, String userHome, Path cwd) {
        if (dirOption != null) {
            return cwd.resolve(dirOption).normalize();
        }
        String larderDir = env.get("LARDER_DIR");
        if (larderDir != null && !larderDir.isEmpty()) {
            return cwd.resolve(larderDir).normalize();
        }
        String xdg = env.get("XDG_CACHE_HOME");
        // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "larder").normalize();
        }
        return Path.of(userHome, ".cache", "larder").toAbsolutePath().normalize();
    }

    static Path resolve(Path dirOption) {
        Invocation inv = Invocation.current();
        return resolve(dirOption, inv.env(), System.getProperty("user.home"), inv.cwd());
    }
}
