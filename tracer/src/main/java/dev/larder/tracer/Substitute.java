package dev.larder.tracer;

import java.nio.file.Path;
import java.util.List;

/**
 * What a thread does instead of the syscall it is entering (an execve whose recorded run is
 * replayed): it writes each {@link Write} to its own descriptor, in order, then exits the whole
 * process with {@code exitStatus}. Its parent sees an ordinary exit; a reader of its stdout sees
 * the bytes in the order the recorded run wrote them.
 *
 * @param exitStatus the exit status, 0-255
 */
record Substitute(List<Write> writes, int exitStatus) {
    /** Bytes to write to descriptor {@code fd} of the thread: {@code length} bytes of {@code file} from {@code offset}. */
    record Write(int fd, Path file, long offset, long length) {
    }

    Substitute {
        writes = List.copyOf(writes);
        if (exitStatus < 0 || exitStatus > 255) {
            throw new IllegalArgumentException("exit status " + exitStatus + ", want 0-255");
        }
    }
}
