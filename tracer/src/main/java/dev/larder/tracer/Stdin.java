package dev.larder.tracer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the run's stdin is. A regular file's content is part of the command's identity, and
 * /dev/null is harmless; anything else (a pipe, a terminal, a socket) makes the run
 * uncacheable if the tree reads it.
 *
 * @param link  what {@code /proc/self/fd/0} points to, or null if fd 0 is closed
 * @param file  whether it is a regular file
 */
record Stdin(String link, boolean file) {
    private static final Path FD0 = Path.of("/proc/self/fd/0");

    static Stdin of() {
        try {
            String link = Files.readSymbolicLink(FD0).toString();
            return new Stdin(link, Files.isRegularFile(FD0));
        } catch (IOException | RuntimeException e) {
            return new Stdin(null, false);
        }
    }

    /** The part of the command's identity that stdin makes. */
    String identity(Probe probe) {
        if (link == null) {
            return "closed";
        }
        if (link.equals("/dev/null")) {
            return "null";
        }
        if (file) {
            String where = link.startsWith("/") && !link.endsWith(" (deleted)") ? link : FD0.toString();
            return "file " + probe.value(where, Probe.Kind.CONTENT, List.of());
        }
        return "other";
    }

    /** The fd-0 link the recorder must watch reads of, or null if reading stdin is fine. */
    String watch() {
        return link == null || file || link.equals("/dev/null") ? null : link;
    }
}
