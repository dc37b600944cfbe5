package dev.larder.tracer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a traced tree's syscalls into its preconditions and outputs. Called only from the
 * tracing thread, at syscall entry (before the kernel acts): what a path looks like then is
 * what the program is about to see, so each observation is probed right there, unless the run
 * itself already changed the path (then it is an output, not an input).
 *
 * <p>Not recorded: {@code /proc}, {@code /sys} and {@code /dev} (a terminal there makes the run
 * uncacheable), descriptor-based calls (their path was seen when the descriptor was opened),
 * timestamps and ownership. Temporary files the run created and removed are neither inputs nor
 * outputs. A tree that calls ptrace (a debugger, strace) is not cacheable: under this tracer
 * that call fails, and the failure is no result to replay.
 *
 * <p>A regular file that was there before and that a unit only appended to (every open
 * O_WRONLY|O_APPEND without O_TRUNC, nothing else done to it, never read) is an {@code append}
 * output of the bytes added, and only its existence is an input: a shared log others append
 * to as well does not make the next run miss.
 *
 * <p>The syscalls it decodes are one table, syscall number to handler ({@link #handlers}); its
 * keys are {@link #syscalls()}, the list the seccomp filter is built from.
 */
final class Recorder implements SyscallListener {
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_CREAT = 0x40;
    private static final int O_EXCL = 0x80;
    private static final int O_TRUNC = 0x200;
    private static final int O_APPEND = 0x400;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_PATH = 0x200000;
    private static final int O_TMPFILE = 0x400000;
    private static final int O_NOFOLLOW = 0x20000;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int AF_UNIX = 1;

    /** What the recorder does when a thread enters one syscall. */
    @FunctionalInterface
    private interface Handler {
        /** Acts on the entry ({@code a}: the six arguments); returns what to do at the exit, or null if nothing. */
        Exit entry(int tid, long[] a);
    }

    /** What the recorder does when a syscall it asked to see returns. */
    @FunctionalInterface
    private interface Exit {
        void returned(int tid, long rval);
    }

    /** A handler that never needs the syscall's result. */
    @FunctionalInterface
    private interface Effect {
        void entry(int tid, long[] a);
    }

    private final Probe probe;
    private final TraceeMemory memory = new TraceeMemory();
    /**
     * The one list of syscalls the recorder decodes, each with its handler; its key set is
     * {@link #syscalls()}, the list the seccomp filter stops on, so a syscall is stopped on
     * exactly when it is handled.
     */
    private final Map<Integer, Handler> handlers;
    private final String stdinWatch;
    /** The whole run: every thread of the tree is in it. */
    private final Unit top = new Unit(null, 0);
    /** Each thread's innermost unit (only those in a nested unit; the rest are in {@link #top}). */
    private final Map<Integer, Unit> unitOf = new HashMap<>();
    /** The thread whose stop is being handled: what it does counts for its units. */
    private int current;
    private final Map<Integer, String> cwds = new HashMap<>();
    /** Threads stopped in a syscall whose result matters, and what to do with it. */
    private final Map<Integer, Exit> pending = new HashMap<>();
    private long traced;
    /** Where nested units are looked up and stored; null when only the whole run is a unit. */
    private final UnitCache units;
    /** Threads in an execve that becomes a unit if it succeeds. */
    private final Map<Integer, PendingExec> execs = new HashMap<>();
    /** Threads whose execve is replaced by a replayed unit's outputs. */
    private final Map<Integer, Substitute> substitutes = new HashMap<>();
    /** The last change of each path: by which unit (innermost), as which change of the tree. */
    private final Map<String, LastChange> lastChange = new HashMap<>();
    private long changes;
    private int unitsRun;
    private int unitsSkipped;
    private int unitsUncacheable;
    private int rootPid;
    private boolean rootExeced;

    /**
     * A recorder probing what the tree looks at with {@code probe}.
     *
     * @param stdinWatch what {@code /proc/PID/fd/0} reads as when fd 0 is the run's own stdin and
     *     reading it would make the run uncacheable (a pipe, a terminal); null if reads are fine
     */
    Recorder(Probe probe, String stdinWatch) {
        this(probe, stdinWatch, null);
    }

    /**
     * A recorder that also makes each execution inside the tree a cache unit of its own, looked
     * up at its execve and recorded at its exit through {@code units} (null: the whole run only).
     */
    Recorder(Probe probe, String stdinWatch, UnitCache units) {
        this.probe = probe;
        this.stdinWatch = stdinWatch;
        this.units = units;
        this.handlers = handlers(stdinWatch != null);
    }

    /** The handler table: what each decoded syscall means (arguments as in syscall_64.tbl). */
    private Map<Integer, Handler> handlers(boolean watchStdin) {
        Map<Integer, Handler> t = new HashMap<>();
        on(t, (tid, a) -> open(tid, cwdArg(tid, a, 0), (int) a[1]), Syscalls.OPEN);
        on(t, (tid, a) -> open(tid, atArg(tid, a, 0), (int) a[2]), Syscalls.OPENAT);
        on(t, (tid, a) -> open(tid, atArg(tid, a, 0), (int) memory.readWord(tid, a[2])), Syscalls.OPENAT2);
        on(t, (tid, a) -> open(tid, cwdArg(tid, a, 0), O_CREAT | O_WRONLY | O_TRUNC), Syscalls.CREAT);
        see(t, (tid, a) -> observe(cwdArg(tid, a, 0), Probe.Kind.STAT), Syscalls.STAT);
        see(t, (tid, a) -> observe(cwdArg(tid, a, 0), Probe.Kind.LSTAT), Syscalls.LSTAT, Syscalls.READLINK);
        see(t, (tid, a) -> observe(atArg(tid, a, 0), Probe.Kind.LSTAT), Syscalls.READLINKAT);
        see(t, (tid, a) -> statAt(tid, (int) a[0], a[1], (int) a[3]), Syscalls.NEWFSTATAT);
        see(t, (tid, a) -> statAt(tid, (int) a[0], a[1], (int) a[2]), Syscalls.STATX);
        see(t, (tid, a) -> observe(cwdArg(tid, a, 0), Probe.Kind.access(a[1])), Syscalls.ACCESS);
        see(t, (tid, a) -> observe(atArg(tid, a, 0), Probe.Kind.access(a[2])), Syscalls.FACCESSAT,
                Syscalls.FACCESSAT2);
        on(t, (tid, a) -> exec(tid, cwdArg(tid, a, 0), a[1], a[2]), Syscalls.EXECVE);
        on(t, (tid, a) -> exec(tid, atArg(tid, a, 0), a[2], a[3]), Syscalls.EXECVEAT);
        see(t, (tid, a) -> {
            observe(cwdArg(tid, a, 0), Probe.Kind.STAT);
            cwds.clear();
        }, Syscalls.CHDIR);
        see(t, (tid, a) -> cwds.clear(), Syscalls.FCHDIR);
        see(t, (tid, a) -> list(fdPath(tid, (int) a[0])), Syscalls.GETDENTS, Syscalls.GETDENTS64);
        see(t, (tid, a) -> change(cwdArg(tid, a, 0), true), Syscalls.MKDIR, Syscalls.RMDIR, Syscalls.UNLINK,
                Syscalls.MKNOD);
        see(t, (tid, a) -> change(atArg(tid, a, 0), true), Syscalls.MKDIRAT, Syscalls.UNLINKAT, Syscalls.MKNODAT);
        see(t, (tid, a) -> rename(cwdArg(tid, a, 0), cwdArg(tid, a, 1)), Syscalls.RENAME);
        see(t, (tid, a) -> rename(atArg(tid, a, 0), atArg(tid, a, 2)), Syscalls.RENAMEAT, Syscalls.RENAMEAT2);
        see(t, (tid, a) -> link(cwdArg(tid, a, 0), cwdArg(tid, a, 1)), Syscalls.LINK);
        see(t, (tid, a) -> link(atArg(tid, a, 0), atArg(tid, a, 2)), Syscalls.LINKAT);
        see(t, (tid, a) -> change(cwdArg(tid, a, 1), true), Syscalls.SYMLINK);
        see(t, (tid, a) -> change(atArg(tid, a, 1), true), Syscalls.SYMLINKAT);
        see(t, (tid, a) -> keep(cwdArg(tid, a, 0)), Syscalls.TRUNCATE, Syscalls.CHMOD);
        see(t, (tid, a) -> keep(atArg(tid, a, 0)), Syscalls.FCHMODAT, Syscalls.FCHMODAT2);
        see(t, (tid, a) -> socket((int) a[0]), Syscalls.SOCKET);
        on(t, (tid, a) -> (exited, rval) -> {
            if (rval == 0) {
                unitsNotCacheable("connected a socket to a server");
            }
        }, Syscalls.CONNECT);
        see(t, (tid, a) -> signal((int) a[0], (int) a[1]), Syscalls.KILL, Syscalls.TKILL);
        see(t, (tid, a) -> signal((int) a[1], (int) a[2]), Syscalls.TGKILL);
        // A debugger or strace in the tree fails under this tracer (one tracer per process):
        // its failure is not the command's result, whatever the call returns.
        see(t, (tid, a) -> unitsNotCacheable("used ptrace (gdb, strace and the like fail under larder's tracer)"), Syscalls.PTRACE);
        if (units != null) {
            see(t, (tid, a) -> {
                if (watchStdin) {
                    readStdin(tid, a[0]);
                }
                nestedStdin(tid, (int) a[0]);
            }, Syscalls.READ);
            on(t, (tid, a) -> written(tid, (int) a[0], a[1], a[2], false), Syscalls.WRITE);
            on(t, (tid, a) -> written(tid, (int) a[0], a[1], a[2], true), Syscalls.WRITEV);
            see(t, (tid, a) -> positioned(tid, (int) a[0]), Syscalls.PWRITE64, Syscalls.PWRITEV, Syscalls.PWRITEV2,
                    Syscalls.SENDFILE);
        } else if (watchStdin) {
            see(t, (tid, a) -> readStdin(tid, a[0]), Syscalls.READ);
        }
        return Map.copyOf(t);
    }

    private static void on(Map<Integer, Handler> table, Handler h, int... nrs) {
        for (int nr : nrs) {
            if (table.putIfAbsent(nr, h) != null) {
                throw new IllegalStateException("syscall " + nr + " has two handlers");
            }
        }
    }

    private static void see(Map<Integer, Handler> table, Effect e, int... nrs) {
        on(table, (tid, a) -> {
            e.entry(tid, a);
            return null;
        }, nrs);
    }

    /** The tree's first process (the trampoline, before it execs the command). */
    void root(int pid) {
        top.members.add(pid);
        rootPid = pid;
    }

    /** The handled syscalls: the handler table's keys. */
    @Override
    public Set<Integer> syscalls() {
        return handlers.keySet();
    }

    /** With nested units: stdin reads and stdout/stderr writes, stopped on only for fds 0-2. */
    @Override
    public Set<Integer> stdFdSyscalls() {
        return units == null ? Set.of() : STD_FD_SYSCALLS;
    }

    private static final Set<Integer> STD_FD_SYSCALLS = Set.of(Syscalls.READ, Syscalls.WRITE, Syscalls.WRITEV,
            Syscalls.PWRITE64, Syscalls.PWRITEV, Syscalls.PWRITEV2, Syscalls.SENDFILE);

    @Override
    public void spawned(int parent, int child) {
        Unit u = unit(parent);
        if (u != top) {
            unitOf.put(child, u);
        }
        for (; u != null; u = u.parent) {
            u.members.add(child);
        }
        String cwd = cwds.get(parent);
        if (cwd != null) {
            cwds.put(child, cwd);
        }
    }

    @Override
    public Substitute substitute(int tid) {
        return substitutes.remove(tid);
    }

    @Override
    public void exiting(int tid, int status) {
        current = tid;
        Unit u = unit(tid);
        while (u != top && u.root == tid) {
            Unit parent = u.parent;
            finishUnit(u, status);
            u = parent;
        }
        if (u == top) {
            unitOf.remove(tid);
        } else {
            unitOf.put(tid, u);
        }
    }

    @Override
    public void ended(int tid, int status) {
        for (Unit u = unit(tid); u != null; u = u.parent) {
            u.members.remove(tid);
        }
        unitOf.remove(tid);
        execs.remove(tid);
        substitutes.remove(tid);
        pending.remove(tid);
    }

    /** What became of the executions inside the run as units of their own. */
    RunOutcome.Units unitCounts() {
        return new RunOutcome.Units(unitsRun, unitsSkipped, unitsUncacheable);
    }

    @Override
    public void foreignAbi(int tid) {
        current = tid;
        unitsNotCacheable("a process made a 32-bit or x32 syscall, which the tracer does not decode");
    }

    /** Why the whole run cannot be cached, or null. */
    String uncacheable() {
        return top.uncacheable;
    }

    int executions() {
        return top.executions;
    }

    long tracedSyscalls() {
        return traced;
    }

    /** The whole run cannot be cached (nor can anything in it): {@code why}. */
    void notCacheable(String why) {
        top.notCacheable(why);
        unitOf.values().forEach(u -> u.notCacheable(why));
    }

    /** The thread being handled does something that makes each of its units uncacheable. */
    private void unitsNotCacheable(String why) {
        for (Unit u = unit(current); u != null; u = u.parent) {
            u.notCacheable(why);
        }
    }

    /** {@code tid}'s innermost unit. */
    private Unit unit(int tid) {
        return unitOf.getOrDefault(tid, top);
    }

    @Override
    public boolean entry(int tid, int nr, long[] a) {
        traced++;
        current = tid;
        Handler h = handlers.get(nr);
        Exit then = h == null ? null : h.entry(tid, a);
        if (then == null) {
            return false;
        }
        pending.put(tid, then);
        return true;
    }

    @Override
    public void exit(int tid, int nr, long rval) {
        current = tid;
        Exit then = pending.remove(tid);
        if (then != null) {
            then.returned(tid, rval);
        }
    }

    // ---- decoding ----

    /** The path in argument {@code a[i]}, relative to the working directory. */
    private String cwdArg(int tid, long[] a, int i) {
        return path(tid, Syscalls.AT_FDCWD, a[i]);
    }

    /** The path in arguments {@code a[i]} (a directory descriptor) and {@code a[i + 1]}, as the *at calls take it. */
    private String atArg(int tid, long[] a, int i) {
        return path(tid, (int) a[i], a[i + 1]);
    }

    private String path(int tid, int dirFd, long address) {
        String p = memory.readString(tid, address);
        if (p == null || p.isEmpty()) {
            return null; // unreadable, or AT_EMPTY_PATH: the call is about a descriptor
        }
        if (p.equals(TraceeMemory.MALFORMED)) {
            unitsNotCacheable("a path the tree used is not valid UTF-8");
            return null;
        }
        if (p.startsWith("/")) {
            return withoutDotDot(clean(p));
        }
        String base = dirFd == Syscalls.AT_FDCWD ? cwd(tid) : fdPath(tid, dirFd);
        // One canonical name per file (no ..: resolved now, as the kernel resolves it), so that an
        // output read back through lib/../x is known as the run's own, and keys name it alike.
        return base == null ? null : withoutDotDot(clean(base + "/" + p));
    }

    private String cwd(int tid) {
        String c = cwds.get(tid);
        if (c == null) {
            c = procLink("/proc/" + tid + "/cwd");
            if (c != null) {
                cwds.put(tid, c);
            }
        }
        return c;
    }

    private static String fdPath(int tid, int fd) {
        String p = procLink("/proc/" + tid + "/fd/" + fd);
        return p != null && p.startsWith("/") ? p : null;
    }

    private static String procLink(String proc) {
        try {
            return Files.readSymbolicLink(Path.of(proc)).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Collapses {@code //} and {@code /./}; {@code ..} is left alone (a symlink may precede it). */
    static String clean(String p) {
        if (!p.contains("//") && !p.contains("/.") && !(p.length() > 1 && p.endsWith("/"))) {
            return p;
        }
        StringBuilder b = new StringBuilder();
        for (String part : p.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            b.append('/').append(part);
        }
        return b.length() == 0 ? "/" : b.toString();
    }

    /**
     * {@code path} (absolute, {@link #clean}) without {@code ..} segments, for naming an output:
     * the part up to the last {@code ..} is replaced by its real path (resolved as the kernel
     * resolved it, symlinks followed), so a replay, which refuses {@code ..}, writes the same
     * file. Left as it is if that part no longer resolves (such a record is then not replayed).
     */
    static String withoutDotDot(String path) {
        int last = path.lastIndexOf("/..");
        while (last >= 0 && !(last + 3 == path.length() || path.charAt(last + 3) == '/')) {
            last = path.lastIndexOf("/..", last - 1);
        }
        if (last < 0) {
            return path;
        }
        try {
            String real = Path.of(path.substring(0, last + 3)).toRealPath().toString();
            String rest = path.substring(last + 3);
            return real.equals("/") && !rest.isEmpty() ? rest : real + rest;
        } catch (IOException | RuntimeException e) {
            return path;
        }
    }

    /**
     * Where {@code path} leads when it is a symlink (the file an open that follows links reaches:
     * its real path, or, for a link to a file not there yet, the link's target from its
     * directory); null if it is not a symlink.
     */
    static String followedLink(String path) {
        Path p = Path.of(path);
        if (!Files.isSymbolicLink(p)) {
            return null;
        }
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            try {
                Path target = p.getParent().toRealPath().resolve(Files.readSymbolicLink(p));
                return withoutDotDot(clean(target.toString()));
            } catch (IOException | RuntimeException again) {
                return null;
            }
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** /proc, /sys and /dev are the kernel's, not inputs. */
    private static boolean special(String path) {
        return path.startsWith("/proc/") || path.equals("/proc") || path.startsWith("/sys/") || path.equals("/sys")
                || path.startsWith("/dev/") || path.equals("/dev");
    }

    private static boolean terminal(String path) {
        return path.equals("/dev/tty") || path.startsWith("/dev/pts/") || path.equals("/dev/console")
                || path.matches("/dev/tty[0-9S].*");
    }

    // ---- what the syscalls mean ----

    /** Returns what to do with the open's result: a terminal opened successfully is not cacheable. */
    private Exit open(int tid, String path, int flags) {
        if (path == null) {
            return null;
        }
        if (special(path)) {
            if (terminal(path) && (flags & O_PATH) == 0) {
                return (t, rval) -> {
                    if (rval >= 0) {
                        unitsNotCacheable("opened a terminal (" + path + ")");
                    }
                };
            }
            return null;
        }
        if ((flags & O_TMPFILE) == O_TMPFILE) {
            return null; // an unnamed file: only a later linkat names it
        }
        if ((flags & O_PATH) != 0 || ((flags & O_DIRECTORY) != 0 && (flags & 3) == 0)) {
            observe(path, Probe.Kind.STAT);
            return null;
        }
        boolean writes = (flags & 3) == O_WRONLY || (flags & 3) == O_RDWR || (flags & (O_CREAT | O_TRUNC)) != 0;
        if (!writes) {
            observe(path, Probe.Kind.CONTENT);
            return null;
        }
        if ((flags & O_NOFOLLOW) == 0 && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL)) {
            String through = followedLink(path);
            if (through != null) {
                // A write through a symlink writes its target: the link (what it points at) is an
                // input, the target the output.
                observe(path, Probe.Kind.LSTAT);
                return open(tid, through, flags);
            }
        }
        if ((flags & (3 | O_APPEND | O_TRUNC | O_EXCL)) == (O_WRONLY | O_APPEND)) {
            return append(path);
        }
        if ((flags & O_TRUNC) == 0) {
            // Appended to or rewritten in place: what it held before may stay in the result.
            observe(path, Probe.Kind.CONTENT);
        } else if ((flags & O_EXCL) != 0) {
            observe(path, Probe.Kind.EXISTS);
        }
        change(path, false);
        return null;
    }

    /**
     * An open of {@code path} with O_WRONLY|O_APPEND, for each unit of the thread: a first such
     * open of an existing regular file the unit has not read notes the size and mode (its content
     * stays a precondition until {@link Unit#finish} finds it was only appended to); for a unit
     * that read it before, or when it is missing (>> creates it) or no regular file, it is any
     * other write. Returns what to do with the open's result: an append that failed is a write.
     */
    private Exit append(String path) {
        Path p = Path.of(path);
        long size = -1;
        int mode = 0;
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            try {
                size = Files.size(p);
                mode = Probe.mode(p, true);
            } catch (IOException e) {
                size = -1;
            }
        }
        List<Unit.Changed> appending = new ArrayList<>();
        Unit.Key content = new Unit.Key(path, Probe.Kind.CONTENT);
        String before = null;
        String value = null;
        for (Unit u = unit(current); u != null; u = u.parent) {
            Unit.Changed c = u.changed.get(path);
            if (c == null) {
                boolean readBefore = u.observed.containsKey(content);
                if (!readBefore) {
                    if (value == null) {
                        value = probe.value(path, Probe.Kind.CONTENT, List.of());
                        if (value.startsWith("error ")) {
                            unitsNotCacheable("could not examine " + path + ": " + value.substring(6));
                        }
                    }
                    u.observed.put(content, value); // its content, for now: an input unless only appended to
                }
                if (before == null) {
                    before = probe.value(path, Probe.Kind.EXISTS, List.of());
                }
                c = new Unit.Changed(before);
                u.changed.put(path, c);
                if (size >= 0 && !readBefore) {
                    c.appendFrom = size;
                    c.appendMode = mode;
                }
            }
            if (c.appendFrom >= 0) {
                appending.add(c);
            }
        }
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            observe(path.substring(0, slash), Probe.Kind.EXISTS);
        }
        if (appending.isEmpty()) {
            return null;
        }
        return (tid, rval) -> {
            if (rval < 0) {
                // Why it failed (its mode?) is not known: the whole file, as for any write.
                appending.forEach(c -> c.appendFrom = -1);
            }
        };
    }

    private void statAt(int tid, int dirFd, long address, int flags) {
        String p = path(tid, dirFd, address);
        if (p == null && (flags & AT_EMPTY_PATH) != 0) {
            return;
        }
        observe(p, (flags & AT_SYMLINK_NOFOLLOW) != 0 ? Probe.Kind.LSTAT : Probe.Kind.STAT);
    }

    /**
     * Returns what to do with the exec's result: a successful one counts as an execution (and
     * becomes a unit of its own, with nested units); null when a replay of it replaces it.
     */
    private Exit exec(int tid, String path, long argv, long envp) {
        String interpreter = null;
        if (path != null && !special(path)) {
            observe(path, Probe.Kind.CONTENT);
            // The kernel reads a script's interpreter itself: that is an input the syscalls never name.
            interpreter = shebang(path);
            if (interpreter != null) {
                observe(interpreter, Probe.Kind.CONTENT);
            }
            // The command itself (the trampoline's exec) is the whole run, not a unit inside it.
            boolean command = tid == rootPid && !rootExeced;
            if (units != null && !command && nested(tid, path, argv, envp)) {
                return null;
            }
        }
        String script = interpreter;
        return (t, rval) -> {
            PendingExec p = execs.remove(t);
            if (rval == 0 && t == rootPid) {
                rootExeced = true;
            }
            if (rval == 0) {
                for (Unit u = unit(t); u != null; u = u.parent) {
                    u.executions++;
                }
                cwds.remove(t);
                if (p != null) {
                    startUnit(t, p, script);
                }
            }
        };
    }

    private void socket(int domain) {
        if (domain != AF_UNIX) {
            unitsNotCacheable("used the network: socket(domain " + domain + ")");
        }
    }

    private void readStdin(int tid, long fd) {
        if (fd == 0 && stdinWatch.equals(procLink("/proc/" + tid + "/fd/0"))) {
            unitsNotCacheable("read stdin, which is not a regular file or /dev/null (" + stdinWatch + ")");
        }
    }

    private static String shebang(String path) {
        try (var in = Files.newInputStream(Path.of(path))) {
            byte[] head = in.readNBytes(256);
            if (head.length < 3 || head[0] != '#' || head[1] != '!') {
                return null;
            }
            String line = new String(head, 2, head.length - 2, java.nio.charset.StandardCharsets.UTF_8);
            int nl = line.indexOf('\n');
            line = (nl >= 0 ? line.substring(0, nl) : line).strip();
            String interp = line.split("[ \t]+", 2)[0];
            return interp.startsWith("/") ? clean(interp) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void list(String dir) {
        if (dir == null || special(dir)) {
            return;
        }
        Unit.Key k = new Unit.Key(dir, Probe.Kind.LIST);
        List<String> names = null;
        String failed = null;
        for (Unit u = unit(current); u != null; u = u.parent) {
            if (u.changed.containsKey(dir) || u.observed.containsKey(k)) {
                continue;
            }
            if (names == null && failed == null) {
                try {
                    names = Probe.names(Path.of(dir));
                } catch (IOException e) {
                    failed = probe.value(dir, Probe.Kind.STAT, List.of());
                }
            }
            if (names != null) {
                u.listings.put(k, names);
                u.observed.put(k, ""); // the value is made in finish(), once all the unit's changes are known
            } else {
                u.observed.put(k, failed);
            }
        }
    }

    private void rename(String from, String to) {
        if (from == null || to == null) {
            return;
        }
        // What moves keeps its content: the source's content is an input of the result.
        keep(from);
        change(to, false);
        for (Unit u = unit(current); u != null; u = u.parent) {
            Unit.Changed c = u.changed.get(to);
            if (c != null) {
                c.renamedInto = true;
            }
        }
    }

    private void link(String existing, String newPath) {
        if (existing != null && !special(existing)) {
            observe(existing, Probe.Kind.CONTENT);
        }
        change(newPath, true);
    }

    /** A change that keeps the old content (chmod, truncate, rename's source). */
    private void keep(String path) {
        if (path == null || special(path)) {
            return;
        }
        observe(path, Probe.Kind.CONTENT);
        change(path, false);
    }

    private void signal(int pid, int sig) {
        for (Unit u = unit(current); u != null; u = u.parent) {
            if (pid <= 0) {
                u.notCacheable("signalled a process group (kill(" + pid + ", " + sig + "))");
            } else if (!u.members.contains(pid)) {
                u.notCacheable("signalled process " + pid + ", outside " + (u == top ? "the traced tree" : "its tree"));
            }
        }
    }

    /** The thread being handled looked at {@code path}: for each of its units that has not changed or seen it, an input. */
    private void observe(String path, Probe.Kind kind) {
        if (path == null || special(path)) {
            return;
        }
        Unit.Key k = new Unit.Key(path, kind);
        String value = null;
        for (Unit u = unit(current); u != null; u = u.parent) {
            Unit.Changed c = u.changed.get(path);
            if (c != null && (kind == Probe.Kind.CONTENT || kind == Probe.Kind.STAT || kind == Probe.Kind.LSTAT)) {
                c.appendFrom = -1; // read after an append: what it held before is an input
            }
            if (c != null || u.observed.containsKey(k)) {
                continue;
            }
            if (value == null) {
                value = probe.value(path, kind, List.of());
                if (value.startsWith("error ")) {
                    // A value that says nothing about the file must never be found to hold again.
                    unitsNotCacheable("could not examine " + path + ": " + value.substring(6));
                }
            }
            u.observed.put(k, value);
        }
    }

    /**
     * The run is about to change {@code path}. Its parent directory had to exist (an input); if
     * the change fails or succeeds depending on whether it exists, so is that ({@code existence}).
     */
    private void change(String path, boolean existence) {
        if (path == null || special(path)) {
            return;
        }
        if (existence) {
            observe(path, Probe.Kind.EXISTS);
        }
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            observe(path.substring(0, slash), Probe.Kind.EXISTS);
        }
        if (units != null) {
            lastChange.put(path, new LastChange(unit(current), ++changes));
        }
        String before = null;
        for (Unit u = unit(current); u != null; u = u.parent) {
            Unit.Changed c = u.changed.get(path);
            if (c != null) {
                c.appendFrom = -1; // a change other than an append
            } else {
                if (before == null) {
                    before = probe.value(path, Probe.Kind.EXISTS, List.of());
                }
                u.changed.put(path, new Unit.Changed(before));
            }
        }
    }

    // ---- nested units ----

    /** A CPU time (in clock ticks, 1/100 s) below which a unit is not worth storing: make, a shell that only execs. */
    private static final long CHEAP_TICKS = 1;

    /** An execve entered that becomes a unit if it succeeds, with what its lookup found. */
    private record PendingExec(dev.larder.protocol.ActionId identity, Manifest manifest, String command, String exe,
            String exeValue, String missed, Remembered remembered) {
    }

    /** What to add to the nested identity log once the unit is stored: under {@code key}, {@code entry} before {@code earlier}. */
    record Remembered(String key, List<IdentityLog.Entry> earlier, IdentityLog.Entry entry) {
    }

    /** The last change of a path: by a thread of {@code unit} (innermost), the {@code seq}-th change in the tree. */
    private record LastChange(Unit unit, long seq) {
    }

    /**
     * At an execve's entry: looks the execution up as a unit of its own; if a recording of it
     * holds, makes its file changes, counts its inputs and outputs for the units around it, and
     * has the thread write its output and exit instead (true). Otherwise notes it, to become a
     * unit if the execve succeeds (false).
     */
    private boolean nested(int tid, String path, long argvAddress, long envpAddress) {
        Path exe = Path.of(path);
        if (!Files.isRegularFile(exe) || !Files.isExecutable(exe)) {
            return false; // fails (a PATH search trying each directory): nothing to look up
        }
        List<String> argv = memory.readStrings(tid, argvAddress);
        List<String> envp = memory.readStrings(tid, envpAddress);
        String cwd = cwd(tid);
        if (argv == null || envp == null || argv.isEmpty() || cwd == null) {
            return false;
        }
        String command = words(argv);
        String notAUnit = notAUnit(tid, argv, envp, units.callerLinks());
        if (notAUnit != null) {
            units.explain("not a unit: " + command + ": " + notAUnit);
            return false;
        }
        String exeValue = probe.value(path, Probe.Kind.CONTENT, List.of());
        String stdinLink = procLink("/proc/" + tid + "/fd/0");
        String stdin = stdinIdentity(tid, stdinLink);
        Map<String, String> env = CacheKeys.nestedEnvironment(envp, cwd, units.envIgnore());
        int umask = RunCache.umaskOf(tid);
        dev.larder.protocol.ActionId identity = CacheKeys.nestedIdentity(path, exeValue, argv, env, cwd, umask, stdin);
        UnitCache.Hit hit = units.lookup(identity);
        if (hit != null && replayUnit(tid, hit, command)) {
            return true;
        }
        Manifest manifest = units.manifest(identity);
        String missed = units.missed(identity);
        // Compared with what the same command line here was recorded with: which variable differs.
        String key = cwd + "\0" + String.join("\0", argv);
        List<IdentityLog.Entry> earlier = units.identities().read(key);
        IdentityLog.Entry entry = IdentityLog.Entry.of(identity.toString(), cwd, argv, path, exeValue, env, umask, stdin);
        if (manifest.candidates().isEmpty()) {
            missed = IdentityLog.difference(earlier, entry).orElse(missed);
        }
        execs.put(tid, new PendingExec(identity, manifest, command, path, exeValue, missed,
                new Remembered(key, earlier, entry)));
        return false;
    }

    /**
     * Why the execution about to start is no unit of its own (only part of its parent's), or null:
     * it inherits a pipe or socket beyond stdin, stdout and stderr (what it reads or writes there
     * is not seen), make's jobserver excepted; or its command line names a temporary file (a
     * compiler driver's cc1 and as: never the same twice).
     */
    private static String notAUnit(int tid, List<String> argv, List<String> envp, Set<String> callerLinks) {
        String tmp = "/tmp/";
        Set<Integer> jobserver = new java.util.HashSet<>();
        for (String e : envp) {
            if (e.startsWith("TMPDIR=") && e.length() > 7) {
                tmp = e.substring(7).endsWith("/") ? e.substring(7) : e.substring(7) + "/";
            }
            if (e.startsWith("MAKEFLAGS=") || e.startsWith("MFLAGS=")) {
                for (String w : e.split(" ")) {
                    int at = w.indexOf("--jobserver-auth=") >= 0 ? w.indexOf('=') : w.indexOf("--jobserver-fds=") >= 0
                            ? w.indexOf('=') : -1;
                    if (at >= 0) {
                        for (String fd : w.substring(at + 1).split(",")) {
                            try {
                                jobserver.add(Integer.parseInt(fd));
                            } catch (NumberFormatException notAnFd) {
                                // fifo:PATH: a named file, not an inherited descriptor
                            }
                        }
                    }
                }
            }
        }
        for (String a : argv.subList(1, argv.size())) {
            if (a.startsWith(tmp) || a.contains("=" + tmp) || (!tmp.equals("/tmp/") && (a.startsWith("/tmp/")))) {
                return "its command line names a temporary file (" + a + ")";
            }
        }
        try (var fds = Files.newDirectoryStream(Path.of("/proc/" + tid + "/fd"))) {
            for (Path f : fds) {
                int fd = Integer.parseInt(f.getFileName().toString());
                if (fd < 3 || jobserver.contains(fd)) {
                    continue;
                }
                String link = procLink(f.toString());
                if (link != null && (link.startsWith("pipe:") || link.startsWith("socket:")) && !callerLinks.contains(link)
                        && !closeOnExec(tid, fd)) {
                    return "it inherits a pipe or socket on fd " + fd;
                }
            }
        } catch (IOException | RuntimeException e) {
            return "its descriptors cannot be read";
        }
        return null;
    }

    private static boolean closeOnExec(int tid, int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/fdinfo/" + fd))) {
                if (line.startsWith("flags:")) {
                    return (Integer.parseInt(line.substring(6).strip(), 8) & 02000000) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone: as if open
        }
        return false;
    }

    /**
     * What a nested execution's stdin is, for its identity: a regular file's content, else
     * "other", whatever it is (/dev/null, a pipe, closed). make -j gives one job its stdin and the
     * others a broken pipe, whichever comes first; a unit that reads a stdin that is no regular
     * file is not cacheable, so one that is recorded never read it.
     */
    private String stdinIdentity(int tid, String link) {
        if (link != null && link.startsWith("/") && !link.endsWith(" (deleted)") && Files.isRegularFile(Path.of(link))) {
            return "file " + probe.value(link, Probe.Kind.CONTENT, List.of());
        }
        return "other";
    }

    /** A command line in a few words, for --explain. */
    private static String words(List<String> argv) {
        String s = String.join(" ", argv);
        return s.length() > 100 ? s.substring(0, 99) + "…" : s;
    }

    /**
     * Replays {@code hit} for the thread entering its execve: the units around it take its
     * preconditions and outputs as theirs (before its changes are made), its file changes are
     * made, and the thread is to write its output and exit with its status. False (the execve
     * runs) if a change cannot be made; the units around it are then not cacheable.
     */
    private boolean replayUnit(int tid, UnitCache.Hit hit, String command) {
        for (Precondition pc : hit.candidate().preconditions()) {
            if (pc.kind() == Probe.Kind.LIST) {
                list(pc.path());
            } else {
                observe(pc.path(), pc.kind());
            }
        }
        for (Outputs.FileOp f : hit.outputs().files()) {
            change(f.path(), false);
        }
        try {
            hit.replay().applyFiles();
        } catch (IOException e) {
            unitsNotCacheable("replaying " + command + " failed: " + e.getMessage());
            return false;
        }
        for (Unit u = unit(tid); u != null; u = u.parent) {
            u.executions += hit.outputs().executions();
        }
        Outputs o = hit.outputs();
        List<Substitute.Write> writes = new ArrayList<>();
        List<Outputs.Segment> order = o.order().isEmpty()
                ? List.of(new Outputs.Segment(1, o.stdout() == null ? 0 : o.stdout().size()),
                        new Outputs.Segment(2, o.stderr() == null ? 0 : o.stderr().size()))
                : o.order();
        long[] at = new long[3];
        for (Outputs.Segment seg : order) {
            Outputs.Blob blob = seg.fd() == 1 ? o.stdout() : o.stderr();
            if (seg.length() > 0 && blob != null) {
                writes.add(new Substitute.Write(seg.fd(), hit.replay().content(blob), at[seg.fd()], seg.length()));
                at[seg.fd()] += seg.length();
            }
        }
        substitutes.put(tid, new Substitute(writes, o.exitCode()));
        unitsSkipped++;
        units.explain("unit skipped: " + command);
        return true;
    }

    /** The execve of a unit that missed succeeded: from here on, what {@code tid} does is that unit's too. */
    private void startUnit(int tid, PendingExec p, String interpreter) {
        Unit u = new Unit(unit(tid), tid);
        u.members.add(tid);
        u.identity = p.identity();
        u.manifest = p.manifest();
        u.command = p.command();
        u.missed = p.missed();
        u.remembered = p.remembered();
        u.startSeq = changes;
        for (int fd = 0; fd < 3; fd++) {
            u.std[fd] = procLink("/proc/" + tid + "/fd/" + fd);
        }
        u.stdinIsFile = u.std[0] != null && u.std[0].startsWith("/") && !u.std[0].equals("/dev/null")
                && Files.isRegularFile(Path.of(u.std[0]));
        u.observed.put(new Unit.Key(p.exe(), Probe.Kind.CONTENT), p.exeValue());
        unitOf.put(tid, u);
        if (interpreter != null) {
            observe(interpreter, Probe.Kind.CONTENT);
        }
        unitsRun++;
    }

    /** A read of fd 0: a nested unit whose stdin is a pipe or terminal cannot be cached if it reads it. */
    private void nestedStdin(int tid, int fd) {
        if (fd != 0) {
            return;
        }
        String link = null;
        for (Unit u = unit(tid); u != top; u = u.parent) {
            if (!u.stdinIsFile) {
                if (link == null) {
                    link = procLink("/proc/" + tid + "/fd/0");
                }
                if (link == null || link.equals(u.std[0])) {
                    u.notCacheable("read stdin, which is not a regular file (" + link + ")");
                }
            }
        }
    }

    /** The nested units of {@code tid} whose stdout or stderr ({@code fd}) is where the thread's fd leads now. */
    private List<Unit> catchers(int tid, int fd) {
        List<Unit> out = new ArrayList<>();
        if (fd != 1 && fd != 2) {
            return out;
        }
        String link = null;
        for (Unit u = unit(tid); u != top; u = u.parent) {
            if (link == null) {
                link = procLink("/proc/" + tid + "/fd/" + fd);
            }
            if (link != null && link.equals(u.std[fd])) {
                out.add(u);
            }
        }
        return out;
    }

    /** A write (or writev) to fd 1 or 2: what reached it is the output of each unit it is theirs. */
    private Exit written(int tid, int fd, long buf, long count, boolean vector) {
        List<Unit> to = catchers(tid, fd);
        if (to.isEmpty()) {
            return null;
        }
        return (t, rval) -> {
            if (rval <= 0) {
                return;
            }
            try {
                if (vector) {
                    long left = rval;
                    for (int i = 0; i < count && left > 0; i++) {
                        long base = memory.readWord(t, buf + 16L * i);
                        long len = Math.min(memory.readWord(t, buf + 16L * i + 8), left);
                        copyOut(t, fd, base, len, to);
                        left -= len;
                    }
                } else {
                    copyOut(t, fd, buf, rval, to);
                }
            } catch (IOException e) {
                to.forEach(u -> u.notCacheable("could not capture its output: " + e.getMessage()));
            }
        };
    }

    private void copyOut(int tid, int fd, long address, long length, List<Unit> to) throws IOException {
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(length - done, TraceeMemory.MAX_ARG);
            byte[] bytes = memory.readBytes(tid, address + done, n);
            if (bytes == null) {
                throw new IOException("its memory could not be read");
            }
            for (Unit u : to) {
                u.captured(fd, bytes, n, units.scratch());
            }
            done += n;
        }
    }

    /** A positioned write or sendfile to stdout or stderr: not captured, so the units it is theirs cannot be cached. */
    private void positioned(int tid, int fd) {
        for (Unit u : catchers(tid, fd)) {
            u.notCacheable("wrote its output with pwrite or sendfile, which larder does not capture");
        }
    }

    /** A nested unit's process is exiting: records it (unless it cannot be cached or is too cheap to keep). */
    private void finishUnit(Unit u, int status) {
        for (int m : u.members) {
            if (m != u.root && !sameProcess(m, u.root)) {
                u.notCacheable("left a process running");
                break;
            }
        }
        if ((status & 0x7f) != 0) {
            u.notCacheable("killed by signal " + (status & 0x7f));
        }
        try {
            u.closeCapture();
        } catch (IOException e) {
            u.notCacheable("could not capture its output: " + e.getMessage());
        }
        // A race: what it read, or what it wrote, changed by a process outside it while it ran.
        List<String> touched = new ArrayList<>(u.changed.keySet());
        u.observed.keySet().forEach(k -> touched.add(k.path()));
        for (String path : touched) {
            LastChange c = lastChange.get(path);
            if (c != null && c.seq() > u.startSeq && !c.unit().within(u)) {
                u.notCacheable("another process changed " + path + " while it ran");
                break;
            }
        }
        u.cpuTicks = cpuTicks(u.root);
        if (u.uncacheable == null && u.cpuTicks >= 0 && u.cpuTicks < CHEAP_TICKS) {
            // Cheap: running it again costs less than keeping it.
            units.explain("unit ran: " + u.command + " (miss: " + u.missed + "), not stored: under "
                    + CHEAP_TICKS * 10 + " ms of CPU");
            return;
        }
        Recording rec = u.uncacheable == null ? u.finish(probe) : null;
        if (rec == null) {
            unitsUncacheable++;
            units.explain("unit not cacheable: " + u.command + ": " + u.uncacheable);
            return;
        }
        boolean stored = units.store(u.identity, u.manifest, rec, u.out, u.err, u.order, (status >> 8) & 0xff,
                u.executions);
        if (stored && u.remembered != null) {
            units.identities().remember(u.remembered.key(), u.remembered.earlier(), u.remembered.entry());
        }
        units.explain("unit ran: " + u.command + " (miss: " + u.missed + ")" + (stored ? "" : ", not stored"));
    }

    private static boolean sameProcess(int tid, int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/status"))) {
                if (line.startsWith("Tgid:")) {
                    return Integer.parseInt(line.substring(5).strip()) == pid;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return false;
    }

    /** The CPU ticks a process and its waited-for children used (utime+stime+cutime+cstime), or -1. */
    private static long cpuTicks(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the command: state is field 3, utime 14 ... cstime 17 (1-based, so index n - 3)
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    // ---- the result ----

    /** An output's content, to be stored under its digest: {@code blob.size()} bytes of {@code file} from {@code from}. */
    record Content(Path file, long from, Outputs.Blob blob) {
        /** A whole file's content. */
        Content(Path file, Outputs.Blob blob) {
            this(file, 0, blob);
        }

        /** The content's bytes, to be closed by the caller (see {@link FileSlice#open}). */
        InputStream open() throws IOException {
            return new FileSlice(file, from, blob.size()).open();
        }
    }

    /** The run's preconditions and file outputs, once the whole tree has ended. */
    record Recording(List<Precondition> preconditions, List<Outputs.FileOp> files, List<Content> contents) {
    }

    /**
     * Reads the end state of every path the whole run changed. Returns null (with
     * {@link #uncacheable()} set) if an output cannot be stored: a fifo, socket or device, or a
     * file that vanished as it was read.
     */
    Recording finish() {
        return top.finish(probe);
    }
}
