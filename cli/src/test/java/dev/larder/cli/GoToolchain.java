package dev.larder.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * A Go toolchain installed by {@code .ci/install-go-toolchains} under
 * {@code $LARDER_TOOLCHAINS} (default {@code ~/.cache/larder-toolchains}).
 *
 * <p>Tests that need one call {@link #require}: without the toolchain they are reported as
 * skipped with the reason, unless {@code LARDER_REQUIRE_GO=1} (set by CI), where they fail, so CI
 * can never pass by skipping them.
 */
record GoToolchain(String name, Path root, Map<String, String> extraEnv) {
    /** Go 1.24 from Debian trixie: speaks GOCACHEPROG out of the box, sends OutputID and ObjectID. */
    static final String GO124 = "go1.24";
    /** Go 1.23 rebuilt with GOEXPERIMENT=cacheprog: sends only the legacy ObjectID. */
    static final String GO123 = "go1.23-cacheprog";

    static Path installDir() {
        String env = System.getenv("LARDER_TOOLCHAINS");
        return env != null && !env.isEmpty()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "larder-toolchains");
    }

    static GoToolchain require(String name) {
        Path root = installDir().resolve(name);
        Path go = root.resolve("bin/go");
        if (!Files.isExecutable(go)) {
            String reason = "Go toolchain " + name + " not found at " + go
                    + "; install it with .ci/install-go-toolchains";
            if ("1".equals(System.getenv("LARDER_REQUIRE_GO"))) {
                throw new AssertionError(reason + " (LARDER_REQUIRE_GO=1 forbids skipping)");
            }
            Assumptions.abort(reason);
        }
        Map<String, String> extra = new LinkedHashMap<>();
        if (name.equals(GO123)) {
            // Before 1.24 cmd/go only reads GOCACHEPROG in a toolchain built with the experiment;
            // users also set it when running, as the Go 1.21-1.23 documentation says.
            extra.put("GOEXPERIMENT", "cacheprog");
        }
        return new GoToolchain(name, root, extra);
    }

    Path go() {
        return root.resolve("bin/go");
    }
}
