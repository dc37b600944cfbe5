package dev.larder.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a user's daemon listens, and who it is. The directory is {@code $LARDER_DAEMON_DIR}, else
 * {@code $XDG_RUNTIME_DIR/larder}, else {@code /tmp/larder-UID}; it must be a directory of the
 * user's own that nobody else can enter (mode 0700), or no daemon is used. In it, one socket per
 * JVM the launcher runs ({@code daemon-KEY.sock}, KEY a hash of the java command), and that
 * daemon's log and locks. The native bridge ({@code cli/src/main/c/larder-bridge.c}) finds the
 * same paths by the same rules; change both together.
 */
final class DaemonPaths {
    private DaemonPaths() {
    }

    /** The daemon directory the environment names (not checked, maybe not there yet). */
    static Path dir(Map<String, String> env) {
        String own = env.get("LARDER_DAEMON_DIR");
        if (own != null && !own.isEmpty()) {
            return Path.of(own).toAbsolutePath().normalize();
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && runtime.startsWith("/") && Files.isDirectory(Path.of(runtime))) {
            return Path.of(runtime, "larder");
        }
        return Path.of("/tmp", "larder-" + uid());
    }

    /**
     * Creates the directory if need be (mode 0700) and checks that it is safe to listen in.
     *
     * @throws IOException saying what is wrong: not a directory, a symlink, someone else's,
     *                     open to others
     */
    static Path ensure(Path dir) throws IOException {
        Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(owner));
                Files.setPosixFilePermissions(dir, owner); // past the umask
            } catch (FileAlreadyExistsException raced) {
                // made by another client just now: checked below like any other
            }
        }
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode,isDirectory,isSymbolicLink",
                LinkOption.NOFOLLOW_LINKS);
        if (Boolean.TRUE.equals(a.get("isSymbolicLink")) || !Boolean.TRUE.equals(a.get("isDirectory"))) {
            throw new IOException("daemon directory " + dir + ": not a directory");
        }
        if (((Integer) a.get("uid")).longValue() != uid()) {
            throw new IOException("daemon directory " + dir + ": owned by uid " + a.get("uid") + ", not by you (uid "
                    + uid() + ")");
        }
        if ((((Integer) a.get("mode")) & 077) != 0) {
            throw new IOException("daemon directory " + dir + ": mode "
                    + String.format("%04o", ((Integer) a.get("mode")) & 07777) + ", want no access for group and others");
        }
        return dir;
    }

    /** The socket of the daemon that runs on {@code java}. */
    static Path socket(Path dir, String java) {
        return dir.resolve("daemon-" + key(java) + ".sock");
    }

    /** The log of the daemon that runs on {@code java}. */
    static Path log(Path dir, String java) {
        return dir.resolve("daemon-" + key(java) + ".log");
    }

    /** A lock file of the daemon that runs on {@code java}: {@code what} is "bind" or "start". */
    static Path lock(Path dir, String java, String what) {
        return dir.resolve("daemon-" + key(java) + "." + what + ".lock");
    }

    /** 16 hex digits of the 64-bit FNV-1a hash of the java command's bytes (as the bridge computes it). */
    static String key(String java) {
        long h = 0xcbf29ce484222325L;
        for (byte b : java.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return String.format("%016x", h);
    }

    /**
     * The java command this larder runs on, as the launcher resolved it ({@code LARDER_RESOLVED_JAVA},
     * exported by {@code bin/larder}); without it, this JVM's own executable.
     */
    static String java(Map<String, String> env) {
        String resolved = env.get("LARDER_RESOLVED_JAVA");
        if (resolved != null && !resolved.isEmpty()) {
            return resolved;
        }
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
    }

    /** The runnable jar this JVM runs from, if it runs from one. */
    static Optional<Path> jar() {
        String cp = System.getProperty("java.class.path", "");
        if (cp.endsWith(".jar") && !cp.contains(java.io.File.pathSeparator)) {
            return Optional.of(Path.of(cp).toAbsolutePath());
        }
        return Optional.empty();
    }

    /**
     * Which build a jar is: {@code INODE-SIZE-MTIME_NANOS} of the file, as the bridge formats it.
     * A rebuilt jar is a new file with a later mtime.
     */
    static String buildId(Path jar) {
        try {
            Map<String, Object> a = Files.readAttributes(jar, "unix:ino,size,lastModifiedTime");
            long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime"))
                    .to(java.util.concurrent.TimeUnit.NANOSECONDS);
            return a.get("ino") + "-" + a.get("size") + "-" + mtime;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The mtime part of a build id, or -1 if it has none. */
    static long buildTime(String buildId) {
        int dash = buildId.lastIndexOf('-');
        try {
            return dash < 0 ? -1 : Long.parseLong(buildId.substring(dash + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** This process's user id. */
    static long uid() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot tell this process's uid: " + e.getMessage(), e);
        }
    }
}
