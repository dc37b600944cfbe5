package dev.larder.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kit's test subject: {@code src/test/fixtures/minihelper.py}, a small correct helper in
 * Python with a {@code --break NAME} flag that breaks exactly one requirement. Needs python3:
 * without it the tests are skipped with the reason, unless {@code LARDER_REQUIRE_PYTHON=1}
 * (as CI sets), when they fail.
 */
final class ReferenceHelper {
    private ReferenceHelper() {
    }

    static Path script() {
        Path p = Path.of(System.getProperty("basedir", "."), "src", "test", "fixtures", "minihelper.py");
        if (!Files.isRegularFile(p)) {
            fail("fixture missing: " + p.toAbsolutePath());
        }
        return p.toAbsolutePath();
    }

    static String python() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "python3");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        if ("1".equals(System.getenv("LARDER_REQUIRE_PYTHON"))) {
            fail("python3 is not on PATH, and LARDER_REQUIRE_PYTHON=1 says these tests must run");
        }
        assumeTrue(false, "python3 is not on PATH: the reference helper cannot run");
        return null;
    }

    /** The command running the reference helper on {@code store}, broken by {@code breaks} if not null. */
    static List<String> command(Path store, String breaks, String... more) {
        List<String> cmd = new ArrayList<>(List.of(python(), script().toString(), "--dir", store.toString()));
        if (breaks != null) {
            cmd.add("--break");
            cmd.add(breaks);
        }
        cmd.addAll(List.of(more));
        return cmd;
    }
}
