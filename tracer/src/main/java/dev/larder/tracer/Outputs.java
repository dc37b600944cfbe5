package dev.larder.tracer;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.larder.protocol.OutputId;
import java.util.List;

/**
 * What a recorded run did, to be replayed: its exit code, its stdout and stderr bytes, and its
 * file changes in the order they are applied. Contents are not in here: each is a separate
 * entry named by its SHA-256 (see {@link CacheKeys#blob}).
 *
 * @param executions how many programs the run executed (execve calls that succeeded)
 * @param order      for a nested execution, the order its writes to stdout and stderr came in:
 *                   each segment a length of one of the two, in turn (empty for a whole run,
 *                   whose stdout is printed before its stderr)
 */
record Outputs(int version, int exitCode, Blob stdout, Blob stderr, List<FileOp> files, int executions,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Segment> order) {
    /** {@code length} bytes of descriptor {@code fd} (1 or 2), the next ones of its blob. */
    record Segment(int fd, long length) {
    }

    Outputs(int version, int exitCode, Blob stdout, Blob stderr, List<FileOp> files, int executions) {
        this(version, exitCode, stdout, stderr, files, executions, List.of());
    }

    /**
     * Content stored as its own entry.
     *
     * @param sha256 the content's SHA-256 in hex, as the JSON holds it (see {@link #outputId()})
     */
    record Blob(String sha256, long size) {
        /** Checks the hex, so an entry naming a malformed digest is unreadable (a miss), not a failure later. */
        Blob {
            OutputId.fromHex(sha256);
        }

        static Blob of(OutputId sha256, long size) {
            return new Blob(sha256.toString(), size);
        }

        /** The content's SHA-256. */
        OutputId outputId() {
            return OutputId.fromHex(sha256);
        }
    }

    /**
     * One file change: {@code write} (content, mode, and the mtime it had, which orders the
     * writes), {@code append} (the bytes the run appended to a file that was there before, the
     * mode a replay gives the file only if it has to create it, and the mtime, ordered among the
     * writes), {@code mkdir} (mode), {@code symlink} (target) or {@code delete}.
     */
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    record FileOp(String op, String path, Blob content, int mode, long mtime, String target) {
        static FileOp write(String path, Blob content, int mode, long mtime) {
            return new FileOp("write", path, content, mode, mtime, null);
        }

        static FileOp append(String path, Blob appended, int mode, long mtime) {
            return new FileOp("append", path, appended, mode, mtime, null);
        }

        static FileOp mkdir(String path, int mode) {
            return new FileOp("mkdir", path, null, mode, 0, null);
        }

        static FileOp symlink(String path, String target) {
            return new FileOp("symlink", path, null, 0, 0, target);
        }

        static FileOp delete(String path) {
            return new FileOp("delete", path, null, 0, 0, null);
        }
    }

    Outputs {
        files = files == null ? List.of() : List.copyOf(files);
        order = order == null ? List.of() : List.copyOf(order);
    }
}
