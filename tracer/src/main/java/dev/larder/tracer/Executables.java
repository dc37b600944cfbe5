package dev.larder.tracer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the program a command names, as execvp does: a name with a slash as is, else on the PATH. */
final class Executables {
    private Executables() {
    }

    /** The executable {@code name} denotes, from {@code cwd} with {@code path} (null: none found). */
    static Optional<Path> find(String name, String path, String cwd) {
        if (name.contains("/")) {
            Path p = Path.of(cwd).resolve(name);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }
        String dirs = path == null ? "/usr/local/bin:/bin:/usr/bin" : path;
        for (String dir : dirs.split(":", -1)) {
            Path p = Path.of(cwd).resolve(dir.isEmpty() ? "." : dir).resolve(name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
