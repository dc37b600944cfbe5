package dev.larder.tracer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a replay may change files, whatever the record's origin: only under the run's working
 * directory and the roots the user allowed ({@code --allow-write}), each taken by its real path.
 *
 * <p>{@link #violation} checks a whole outputs list against the file system before anything is
 * touched (it only looks: lstat, realpath, directory listings). An append is held to the rules of
 * a write. A change breaks the rules when:
 * <ul>
 *   <li>its mode has the setuid, setgid or sticky bit (the recorder never records them);
 *   <li>its parent, resolved the way the kernel will (the real path of the deepest existing
 *       ancestor, symlinks followed, then the names still to be made), is not under an allowed
 *       root, or the change would replace a root itself;
 *   <li>its parent is a symlink an earlier change of the same record makes (a record never
 *       writes through a link it plants);
 *   <li>it is a symlink whose target, resolved from the link's real parent as the kernel would
 *       (each link followed before a later {@code ..}, the record's own links included), leads
 *       outside the allowed roots (a later, ordinary write through it would escape);
 *   <li>it deletes or replaces a directory that holds entries the record does not delete
 *       first (deletes are never recursive).
 * </ul>
 * {@link #recheck} is the same parent rule again, called by {@link Replay} right before each
 * change, which narrows (does not close) the window in which a concurrent process could swap a
 * checked directory for a symlink.
 *
 * <p>Immutable and thread-safe; the file system it looks at is not.
 */
final class Confinement {
    private final Path cwd;
    private final List<Path> roots;

    private Confinement(Path cwd, List<Path> roots) {
        this.cwd = cwd;
        this.roots = roots;
    }

    /**
     * The working directory {@code cwd} and the {@code allowed} roots (relative ones resolved
     * against {@code cwd}), each by its real path; a root that does not exist yet is taken by
     * the real path of its deepest existing ancestor and the names below it.
     */
    static Confinement of(Path cwd, List<Path> allowed) {
        Path realCwd = realish(cwd.toAbsolutePath().normalize());
        Set<Path> roots = new LinkedHashSet<>();
        roots.add(realCwd);
        for (Path a : allowed) {
            roots.add(realish(cwd.resolve(a).toAbsolutePath().normalize()));
        }
        return new Confinement(realCwd, List.copyOf(roots));
    }

    private static Path realish(Path p) {
        try {
            return resolve(p);
        } catch (IOException e) {
            return p;
        }
    }

    /** The allowed roots, the working directory first. */
    List<Path> roots() {
        return roots;
    }

    /** The paths {@code files} change outside the working directory (as recorded), in order. */
    List<String> outsideCwd(List<Outputs.FileOp> files) {
        List<String> out = new ArrayList<>();
        for (Outputs.FileOp f : files) {
            if (!Path.of(f.path()).startsWith(cwd)) {
                out.add(f.path());
            }
        }
        return out;
    }

    /**
     * The first change of {@code o} that breaks a rule, as {@code PATH: rule}, or null if every
     * change may be made. Changes nothing.
     */
    String violation(Outputs o) {
        Set<Path> linksMade = new HashSet<>();
        Set<Path> deleted = new HashSet<>();
        Map<Path, String> planned = new HashMap<>();
        for (Outputs.FileOp f : o.files()) {
            Path p = Path.of(f.path());
            String why = rule(f, p, linksMade, deleted, planned);
            if (why != null) {
                return f.path() + ": " + why;
            }
            if (f.op().equals("symlink")) {
                linksMade.add(p);
            } else {
                linksMade.remove(p);
            }
            if (f.op().equals("delete")) {
                deleted.add(p);
            } else {
                deleted.remove(p);
            }
        }
        return null;
    }

    /** The rule {@code f} (at {@code p}) breaks, or null; {@code planned} learns the links the record makes, by real path. */
    private String rule(Outputs.FileOp f, Path p, Set<Path> linksMade, Set<Path> deleted, Map<Path, String> planned) {
        if ((f.mode() & 07000) != 0) {
            return "mode " + Integer.toOctalString(f.mode()) + " sets the setuid, setgid or sticky bit";
        }
        for (Path a = p.getParent(); a != null; a = a.getParent()) {
            if (linksMade.contains(a)) {
                return "its parent " + a + " is a symlink the record itself makes";
            }
        }
        Path where;
        try {
            Path parent = resolve(p.getParent());
            if (Files.exists(parent, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(parent)) {
                return "its parent is not a directory";
            }
            where = parent.resolve(p.getFileName());
        } catch (IOException e) {
            return "its parent cannot be resolved (" + e.getMessage() + ")";
        }
        Path root = rootOf(where);
        if (root == null) {
            return "outside the allowed roots (the working directory and --allow-write)"
                    + (where.equals(p) ? "" : "; its parent resolves to " + where.getParent());
        }
        if (where.equals(root) && !f.op().equals("mkdir")) {
            return "is an allowed root itself";
        }
        if (!f.op().equals("symlink")) {
            planned.remove(where);
        }
        switch (f.op()) {
            case "symlink": {
                planned.put(where, f.target());
                Path target;
                try {
                    target = follow(where.getParent(), f.target(), planned);
                } catch (IOException e) {
                    return "symlink target " + Records.quote(f.target()) + " cannot be resolved (" + e.getMessage() + ")";
                }
                if (rootOf(target) == null) {
                    return "symlink target " + Records.quote(f.target()) + " leads outside the allowed roots"
                            + (target.toString().equals(f.target()) ? "" : " (it resolves to " + target + ")");
                }
                return nonEmptyDirectory(p, deleted, "replace");
            }
            case "write":
            case "append":
                return nonEmptyDirectory(p, deleted, "replace");
            case "delete":
                return nonEmptyDirectory(p, deleted, "delete");
            default:
                return null;
        }
    }

    /** Why changing {@code p} would remove a directory's entries the record did not delete, or null. */
    private static String nonEmptyDirectory(Path p, Set<Path> deleted, String verb) {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
            for (Path e : entries) {
                if (!deleted.contains(e)) {
                    return "would " + verb + " a directory holding " + e.getFileName()
                            + ", which the recorded run did not delete (deletes are never recursive)";
                }
            }
        } catch (IOException e) {
            return "cannot list the directory (" + e.getMessage() + ")";
        }
        return null;
    }

    /**
     * Checks again, right before a change below {@code parent}, that {@code parent} (which
     * exists now) still resolves under an allowed root.
     *
     * @throws IOException if it no longer does, or cannot be resolved
     */
    void recheck(Path parent) throws IOException {
        Path real = parent.toRealPath();
        if (rootOf(real) == null) {
            throw new IOException(parent + " now resolves to " + real + ", outside the allowed roots");
        }
    }

    /**
     * Where {@code target}, read from the real directory {@code dir}, leads as the kernel resolves
     * it: name by name, following each symlink (the record's own {@code planned} links, by real
     * path, before those on disk) before a later {@code ..} is applied, so {@code s/../x} through
     * a link {@code s -> .} is not mistaken for {@code x}. Names that do not exist are taken as
     * they are.
     *
     * @throws IOException if links nest more than 40 deep (a loop), or one cannot be read
     */
    private static Path follow(Path dir, String target, Map<Path, String> planned) throws IOException {
        Deque<String> todo = new ArrayDeque<>();
        push(todo, target);
        Path cur = target.startsWith("/") ? dir.getRoot() : dir;
        int links = 0;
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (name.equals("..")) {
                cur = cur.getParent() == null ? cur : cur.getParent();
                continue;
            }
            Path next = cur.resolve(name);
            String link = planned.get(next);
            if (link == null && Files.isSymbolicLink(next)) {
                link = Files.readSymbolicLink(next).toString();
            }
            if (link == null) {
                cur = next;
                continue;
            }
            if (++links > 40) {
                throw new IOException("more than 40 links (a loop)");
            }
            push(todo, link);
            if (link.startsWith("/")) {
                cur = cur.getRoot();
            }
        }
        return cur;
    }

    /** Puts the names of {@code path} in front of {@code todo}, in order ({@code .} and empty names dropped). */
    private static void push(Deque<String> todo, String path) {
        String[] names = path.split("/");
        for (int i = names.length - 1; i >= 0; i--) {
            if (!names[i].isEmpty() && !names[i].equals(".")) {
                todo.push(names[i]);
            }
        }
    }

    /** Whether {@code real} is one of the allowed roots (the working directory included). */
    boolean isRoot(Path real) {
        return roots.contains(real);
    }

    private Path rootOf(Path real) {
        for (Path r : roots) {
            if (real.startsWith(r)) {
                return r;
            }
        }
        return null;
    }

    /**
     * Where {@code p} (absolute, normal) is, as the kernel will resolve it once its missing
     * parts are made: the real path of its deepest existing ancestor, which must be a directory
     * unless it is {@code p} itself, then the names below it.
     */
    private static Path resolve(Path p) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        Path existing = p;
        while (existing.getParent() != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            missing.push(existing.getFileName());
            existing = existing.getParent();
        }
        Path real = existing.toRealPath();
        if (!missing.isEmpty() && !Files.isDirectory(real)) {
            throw new IOException(existing + " is not a directory");
        }
        while (!missing.isEmpty()) {
            real = real.resolve(missing.pop());
        }
        return real;
    }
}
