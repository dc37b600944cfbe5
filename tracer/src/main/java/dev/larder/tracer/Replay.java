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
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
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
 * A recorded run's outputs made real again, within a {@link Confinement}. {@link #stage} checks
 * every change against the confinement's rules and fetches every content the outputs need,
 * each checked against its SHA-256, before anything is touched: a record breaking a rule, or a
 * cache missing or damaging one content, leaves the files as they were (and the command runs
 * instead). {@link #apply} then makes each change, checking again right before it that its
 * directory still resolves under an allowed root: a file is written through a temporary file
 * renamed into place, an append adds its bytes at the end of the file that is there (what
 * others appended since stays), a mode is set without following a symlink, and a delete removes
 * one file, link or empty directory, never a tree.
 */
final class Replay {
    /** A replay that may be applied, or why not. */
    sealed interface Staged {
    }

    /** Every check passed and every content is at hand. */
    record Ready(Replay replay) implements Staged {
    }

    /** A change breaks a rule of the confinement: {@code violation} says which path and which rule. */
    record RuleBroken(String violation) implements Staged {
    }

    /** Some content is not (intact) in the cache. */
    record ContentMissing() implements Staged {
    }

    private final Outputs outputs;
    private final Map<OutputId, Path> contents;
    private final Confinement confinement;
    private long bytes;

    private Replay(Outputs outputs, Map<OutputId, Path> contents, Confinement confinement) {
        this.outputs = outputs;
        this.contents = contents;
        this.confinement = confinement;
    }

    /** Checks {@code o} against {@code confinement}, then fetches its contents; touches no file. */
    static Staged stage(Outputs o, Function<Outputs.Blob, Optional<Path>> fetch, Confinement confinement) {
        String violation = confinement.violation(o);
        if (violation != null) {
            return new RuleBroken(violation);
        }
        Map<OutputId, Path> contents = new HashMap<>();
        for (Outputs.Blob b : blobs(o)) {
            if (b == null || contents.containsKey(b.outputId())) {
                continue;
            }
            Optional<Path> p = fetch.apply(b);
            if (p.isEmpty()) {
                return new ContentMissing();
            }
            contents.put(b.outputId(), p.get());
        }
        return new Ready(new Replay(o, contents, confinement));
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
     * @throws IOException if a change cannot be made, or its directory no longer resolves under
     *     an allowed root (the files changed so far stay changed)
     */
    void apply() throws IOException {
        applyFiles();
        bytes += print(outputs.stdout(), new FileOutputStream(FileDescriptor.out));
        bytes += print(outputs.stderr(), new FileOutputStream(FileDescriptor.err));
    }

    /** The staged local file holding {@code blob}'s content (checked against its digest when staged). */
    Path content(Outputs.Blob blob) {
        return contents.get(blob.outputId());
    }

    /**
     * Applies the file changes in order (stdout and stderr are the caller's to write).
     *
     * @throws IOException as {@link #apply}
     */
    void applyFiles() throws IOException {
        for (Outputs.FileOp f : outputs.files()) {
            Path p = Path.of(f.path());
            switch (f.op()) {
                case "mkdir":
                    mkdir(p, f.mode());
                    break;
                case "symlink":
                    directory(p.getParent());
                    confinement.recheck(p.getParent());
                    Files.deleteIfExists(p);
                    Files.createSymbolicLink(p, Path.of(f.target()));
                    break;
                case "write":
                    write(p, contents.get(f.content().outputId()), f.mode());
                    bytes += f.content().size();
                    break;
                case "append":
                    append(p, contents.get(f.content().outputId()), f.mode());
                    bytes += f.content().size();
                    break;
                case "delete":
                    if (Files.isDirectory(p.getParent())) {
                        confinement.recheck(p.getParent());
                        Files.deleteIfExists(p);
                    }
                    break;
                default:
                    throw new IOException("unknown file change " + f.op() + " for " + f.path());
            }
        }
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

    private void mkdir(Path dir, int mode) throws IOException {
        directory(dir.getParent());
        if (!confinement.roots().contains(dir)) {
            confinement.recheck(dir.getParent()); // a root's parent is above every root
        }
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(dir); // a file or a symlink where the run left a directory: unlinked, never followed
        }
        boolean existed = Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        if (!existed) {
            Files.createDirectory(dir);
        }
        confinement.recheck(dir);
        // An allowed root that was there already (the working directory, a --allow-write
        // directory) keeps its mode: a record never opens the user's directories to others.
        if (!(existed && confinement.isRoot(dir.toRealPath()))) {
            chmod(dir, mode);
        }
    }

    private void write(Path target, Path content, int mode) throws IOException {
        Path dir = target.getParent();
        directory(dir);
        confinement.recheck(dir);
        Path tmp = Files.createTempFile(dir, ".larder-", ".tmp");
        try {
            Files.copy(content, tmp, StandardCopyOption.REPLACE_EXISTING);
            chmod(tmp, mode);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target); // empty (checked when staged): never a tree
            }
            confinement.recheck(dir);
            LocalFiles.moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Adds {@code content} at the end of {@code target}, opened with O_WRONLY|O_APPEND without
     * following a symlink, and created with {@code mode} only if it is missing. No temporary file
     * and rename: the point is to keep what others appended to it. An existing name that is not
     * a regular file (a fifo would block the open) is an error, and so is a file created by
     * someone else between the look and the open.
     */
    private void append(Path target, Path content, int mode) throws IOException {
        Path dir = target.getParent();
        directory(dir);
        confinement.recheck(dir);
        boolean existed = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (existed && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + " is not a regular file; not appended to");
        }
        StandardOpenOption create = existed ? StandardOpenOption.WRITE : StandardOpenOption.CREATE_NEW;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                create, LinkOption.NOFOLLOW_LINKS)) {
            if (!existed) {
                chmod(target, mode);
            }
            Files.copy(content, out);
        }
    }

    /**
     * Makes {@code dir} a directory if it is not one yet, with its missing parents, one at a
     * time ({@code mkdir} never follows a symlink in the name it makes). An existing name that
     * is not a directory (or a link to one) is an error.
     */
    private static void directory(Path dir) throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(dir)) {
                throw new IOException(dir + " is not a directory");
            }
            return;
        }
        directory(dir.getParent());
        Files.createDirectory(dir);
    }

    /** Sets the permission bits of {@code p} without following a symlink. */
    private static void chmod(Path p, int mode) throws IOException {
        Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(permissions(mode));
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
