package dev.larder.tracer;

import dev.larder.protocol.OutputId;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A recorded run's outputs made real again. {@link #stage} fetches every content the outputs
 * need, each checked against its SHA-256, before anything is touched, so a cache missing or
 * damaging one content leaves the files as they were (and the command runs instead).
 * {@link #apply} then writes each file through a temporary file renamed into place.
 */
final class Replay {
    private final Outputs outputs;
    private final Map<OutputId, Path> contents;
    private long bytes;

    private Replay(Outputs outputs, Map<OutputId, Path> contents) {
        this.outputs = outputs;
        this.contents = contents;
    }

    /** The replay, or empty if some content is not (intact) in the cache. */
    static Optional<Replay> stage(Outputs o, Function<Outputs.Blob, Optional<Path>> fetch) {
        Map<OutputId, Path> contents = new HashMap<>();
        for (Outputs.Blob b : blobs(o)) {
            if (b == null || contents.containsKey(b.outputId())) {
                continue;
            }
            Optional<Path> p = fetch.apply(b);
            if (p.isEmpty()) {
                return Optional.empty();
            }
            contents.put(b.outputId(), p.get());
        }
        return Optional.of(new Replay(o, contents));
    }

    private static List<Outputs.Blob> blobs(Outputs o) {
        List<Outputs.Blob> all = new ArrayList<>();
        all.add(o.stdout());
        all.add(o.stderr());
        for (Outputs.FileOp f : o.files()) {
            if (f.content() != null) {
                all.add(f.content());
            }
        }
        return all;
    }

    /** Bytes written by {@link #apply}: files, stdout and stderr. */
    long bytes() {
        return bytes;
    }

    /**
     * Applies the file changes in order, then prints the recorded stdout and stderr.
     *
     * @throws IOException if a change cannot be made (the files changed so far stay changed)
     */
    void apply() throws IOException {
        for (Outputs.FileOp f : outputs.files()) {
            Path p = Path.of(f.path());
            switch (f.op()) {
                case "mkdir":
                    Files.createDirectories(p);
                    Files.setPosixFilePermissions(p, permissions(f.mode()));
                    break;
                case "symlink":
                    removeAny(p);
                    Files.createDirectories(p.getParent());
                    Files.createSymbolicLink(p, Path.of(f.target()));
                    break;
                case "write":
                    write(p, contents.get(f.content().outputId()), f.mode());
                    bytes += f.content().size();
                    break;
                case "delete":
                    removeAny(p);
                    break;
                default:
                    throw new IOException("unknown file change " + f.op() + " for " + f.path());
            }
        }
        bytes += print(outputs.stdout(), new FileOutputStream(FileDescriptor.out));
        bytes += print(outputs.stderr(), new FileOutputStream(FileDescriptor.err));
    }

    private long print(Outputs.Blob blob, OutputStream to) throws IOException {
        if (blob == null || blob.size() == 0) {
            return 0;
        }
        try (InputStream in = Files.newInputStream(contents.get(blob.outputId()))) {
            long n = in.transferTo(to);
            to.flush();
            return n;
        }
    }

    private static void write(Path target, Path content, int mode) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".larder-", ".tmp");
        try {
            Files.copy(content, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, permissions(mode));
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                removeAny(target);
            }
            LocalFiles.moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void removeAny(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            LocalFiles.deleteTree(p);
        } else {
            Files.deleteIfExists(p);
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }
}
