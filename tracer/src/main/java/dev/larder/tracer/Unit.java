package dev.larder.tracer;

import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One cache unit of a traced tree, as the {@link Recorder} keeps it: the whole run, or one
 * execution inside it together with the processes it starts; what it looked at (its
 * preconditions, each with what it found) and what it changed. Whatever a thread does counts for
 * every unit it is in, innermost to the whole run, each keeping the first thing it saw: a path a
 * unit changed itself is its output, not its input.
 */
final class Unit {
    /**
     * The mode bits an output is recorded with: the permission bits a replay sets. Never setuid,
     * setgid or sticky, so a record holding one of those was not written by a recorder.
     */
    static final int REPLAYED_MODE = 0777;

    /** A path the unit changed: what it was before its first change. */
    static final class Changed {
        final String before;
        boolean renamedInto;
        /**
         * The size the file had when the unit first opened it to append (an existing regular file,
         * O_WRONLY|O_APPEND without O_TRUNC, not read before), as long as the unit has done nothing
         * else to it (read, truncated, chmod'ed, renamed, deleted, linked, opened otherwise, an
         * append that failed); -1 otherwise. Its outputs are then the bytes from there on.
         */
        long appendFrom = -1;
        /** Its mode at that open: an fchmod (unseen, by descriptor) makes it not an append. */
        int appendMode;

        Changed(String before) {
            this.before = before;
        }
    }

    record Key(String path, Probe.Kind kind) {
    }

    /** The unit it is part of; null for the whole run. */
    final Unit parent;
    /** The process that made the execution (0 for the whole run). */
    final int root;
    /** Its threads and processes now alive. */
    final Set<Integer> members = new HashSet<>();
    final Map<Key, String> observed = new LinkedHashMap<>();
    final Map<Key, List<String>> listings = new HashMap<>();
    final Map<String, Changed> changed = new LinkedHashMap<>();
    /** Why it cannot be cached, or null. */
    String uncacheable;
    /** The programs it executed (execve calls that succeeded). */
    int executions;

    // ---- a nested unit's own (null for the whole run) ----

    /** Its identity, the recordings it has (to add its own to), and its command line in a few words. */
    dev.larder.protocol.ActionId identity;
    Manifest manifest;
    String command;
    /** Why no recording of it could be replayed (its miss, for --explain). */
    String missed;
    /** What the recorder adds to the nested identity log once it is stored. */
    Recorder.Remembered remembered;
    /** What its fds 0, 1 and 2 were when it started (/proc links): what it reads and writes there is its stdin and output. */
    String stdin;
    boolean stdinIsFile;
    final String[] std = new String[3];
    /** The last change of any path by the tree when it started: a later change by others of what it read is a race. */
    long startSeq;
    /** CPU ticks it and its waited-for children used, read as it exited; -1 if unknown. */
    long cpuTicks = -1;
    /** Its stdout and stderr bytes as written, and their order; null until it writes. */
    Path out;
    Path err;
    final List<Outputs.Segment> order = new ArrayList<>();
    private java.io.OutputStream outStream;
    private java.io.OutputStream errStream;

    Unit(Unit parent, int root) {
        this.parent = parent;
        this.root = root;
    }

    /** Whether it is {@code ancestor} or inside it. */
    boolean within(Unit ancestor) {
        for (Unit u = this; u != null; u = u.parent) {
            if (u == ancestor) {
                return true;
            }
        }
        return false;
    }

    /** Appends {@code bytes} written to its fd {@code fd} (1 or 2) to its captured output, in {@code scratch}. */
    void captured(int fd, byte[] bytes, int length, Path scratch) throws IOException {
        if (length <= 0) {
            return;
        }
        if (outStream == null) {
            out = Files.createTempFile(scratch, "unit-", ".out");
            err = Files.createTempFile(scratch, "unit-", ".err");
            outStream = new java.io.BufferedOutputStream(Files.newOutputStream(out));
            errStream = new java.io.BufferedOutputStream(Files.newOutputStream(err));
        }
        (fd == 1 ? outStream : errStream).write(bytes, 0, length);
        int last = order.size() - 1;
        if (last >= 0 && order.get(last).fd() == fd) {
            order.set(last, new Outputs.Segment(fd, order.get(last).length() + length));
        } else {
            order.add(new Outputs.Segment(fd, length));
        }
    }

    /** Closes its captured output's files (kept for storing). */
    void closeCapture() throws IOException {
        if (outStream != null) {
            outStream.close();
            errStream.close();
            outStream = null;
            errStream = null;
        }
    }

    void notCacheable(String why) {
        if (uncacheable == null) {
            uncacheable = why;
        }
    }

    /**
     * Reads the end state of every path it changed. Returns null (with {@link #uncacheable} set)
     * if an output cannot be stored: a fifo, socket or device, or a file that vanished as it was read.
     */
    Recorder.Recording finish(Probe probe) {
        List<Outputs.FileOp> files = new ArrayList<>();
        List<Recorder.Content> contents = new ArrayList<>();
        Set<String> temporary = new HashSet<>();
        Map<String, Set<String>> changedNames = new HashMap<>();
        List<Outputs.FileOp> writes = new ArrayList<>();
        List<String> deletes = new ArrayList<>();
        Set<String> appended = new HashSet<>();
        for (Map.Entry<String, Changed> e : changed.entrySet()) {
            String path = e.getKey();
            Changed c = e.getValue();
            int slash = path.lastIndexOf('/');
            changedNames.computeIfAbsent(slash == 0 ? "/" : path.substring(0, Math.max(slash, 0)), d -> new TreeSet<>())
                    .add(path.substring(slash + 1));
            try {
                if (!end(path, c, files, writes, contents, probe)) {
                    if (c.before.equals("missing")) {
                        temporary.add(path);
                    } else {
                        deletes.add(path);
                    }
                } else if (c.appendFrom >= 0) {
                    appended.add(path);
                }
            } catch (IOException ex) {
                notCacheable("could not read the output " + path + ": " + ex.getMessage());
            }
        }
        if (uncacheable != null) {
            return null;
        }
        // Directories before what goes in them; writes oldest first, so the files' mtimes keep
        // their order (make compares them).
        files.sort(Comparator.comparing((Outputs.FileOp f) -> !f.op().equals("mkdir"))
                .thenComparing(f -> f.path().length()));
        writes.sort(Comparator.comparingLong(Outputs.FileOp::mtime));
        files.addAll(writes);
        deletes.sort(Comparator.comparing(String::length).reversed());
        for (String d : deletes) {
            files.add(Outputs.FileOp.delete(Recorder.withoutDotDot(d)));
        }
        List<Precondition> pre = new ArrayList<>();
        for (Map.Entry<Key, String> e : observed.entrySet()) {
            Key k = e.getKey();
            if (temporary.contains(k.path())) {
                continue;
            }
            if (k.kind() == Probe.Kind.CONTENT && appended.contains(k.path())) {
                // Only appended to: that it is there as a file is the input, not what it holds
                // (a log others append to as well); its EXISTS value was taken at the first open.
                if (!observed.containsKey(new Key(k.path(), Probe.Kind.EXISTS))) {
                    pre.add(new Precondition(k.path(), Probe.Kind.EXISTS, changed.get(k.path()).before, List.of()));
                }
            } else if (k.kind() == Probe.Kind.LIST && listings.containsKey(k)) {
                List<String> except = List.copyOf(changedNames.getOrDefault(k.path(), Set.of()));
                pre.add(new Precondition(k.path(), k.kind(), Probe.listValue(listings.get(k), except), except));
            } else {
                pre.add(new Precondition(k.path(), k.kind(), e.getValue(), List.of()));
            }
        }
        return new Recorder.Recording(pre, files, contents);
    }

    /**
     * Adds {@code path}'s end state to the outputs; false if it no longer exists. A file only
     * appended to ({@link Changed#appendFrom}) is an {@code append} of the bytes from its old
     * size on; if it is not (any more), {@code c.appendFrom} is -1 when this returns.
     */
    private boolean end(String path, Changed c, List<Outputs.FileOp> dirsAndLinks, List<Outputs.FileOp> writes,
            List<Recorder.Content> contents, Probe probe) throws IOException {
        Path p = Path.of(path);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        String name = Recorder.withoutDotDot(path);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            c.appendFrom = -1; // no longer the file appended to
        }
        if (Files.isSymbolicLink(p)) {
            dirsAndLinks.add(Outputs.FileOp.symlink(name, Files.readSymbolicLink(p).toString()));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            // Made, or there before and changed (a chmod): either way the replay leaves it so.
            int mode = Probe.mode(p, true);
            specialBits(p, mode, true);
            dirsAndLinks.add(Outputs.FileOp.mkdir(name, mode & REPLAYED_MODE));
            if (c.renamedInto) {
                try (Stream<Path> all = Files.walk(p)) {
                    for (Path q : (Iterable<Path>) all.skip(1)::iterator) {
                        end(q.toString(), new Changed("missing"), dirsAndLinks, writes, contents, probe);
                    }
                }
            }
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            Object links = Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            if (links instanceof Integer n && n > 1) {
                // A replay writes each output as a file of its own: which names shared an inode
                // (ln pre b; echo more >> b changes pre too) would be lost.
                notCacheable("changed a file with " + n + " hard links (" + path + "); links are not replayed");
            }
            int mode = Probe.mode(p, true);
            specialBits(p, mode, false);
            if (c.appendFrom >= 0 && (mode != c.appendMode || Files.size(p) < c.appendFrom)) {
                c.appendFrom = -1; // fchmod'ed or ftruncated through its descriptor
            }
            if (c.appendFrom >= 0) {
                FileSlice added = new FileSlice(p, c.appendFrom, Files.size(p) - c.appendFrom);
                FileTime mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                Outputs.Blob blob = Outputs.Blob.of(added.sha256(), added.size());
                writes.add(Outputs.FileOp.append(name, blob, mode & REPLAYED_MODE, mtime.to(TimeUnit.NANOSECONDS)));
                contents.add(new Recorder.Content(p, added.from(), blob));
                return true;
            }
            OutputId sha = probe.hasher().hash(p);
            long size = Files.size(p);
            FileTime mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
            Outputs.Blob blob = Outputs.Blob.of(sha, size);
            writes.add(Outputs.FileOp.write(name, blob, mode & REPLAYED_MODE, mtime.to(TimeUnit.NANOSECONDS)));
            contents.add(new Recorder.Content(p, blob));
        } else {
            notCacheable("left a fifo, socket or device file behind: " + path);
        }
        return true;
    }

    /**
     * Makes the run not cacheable if output {@code p} has a setuid, setgid or sticky bit: a replay
     * never sets those (a shared cache must not hand out setuid programs), and leaving them off
     * would be a wrong result. A directory's setgid bit inherited from its parent is fine: the
     * replay's mkdir in that parent inherits it too.
     */
    private void specialBits(Path p, int mode, boolean directory) throws IOException {
        int special = mode & 07000;
        if (directory && special == 02000 && p.getParent() != null
                && (Probe.mode(p.getParent(), false) & 02000) != 0) {
            return;
        }
        if (special != 0) {
            notCacheable("left " + p + " with mode " + Integer.toOctalString(mode & 07777)
                    + ": a setuid, setgid or sticky bit, which larder never replays");
        }
    }
}
