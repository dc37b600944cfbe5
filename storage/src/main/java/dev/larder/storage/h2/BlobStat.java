package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What stat says of a blob file, as a key that changes whenever the file's content may have
 * changed: device, inode, size, modification and change times in nanoseconds. Writing to a file
 * updates its ctime, which no ordinary tool can set back, so an unchanged key means bytes as last
 * hashed.
 *
 * <p>The "too fresh to trust its stat" rule: file times come from the kernel's coarse clock, so
 * two writes a few milliseconds apart can leave the same times. A key is trusted
 * ({@link #settled}) only if the newest of mtime and ctime is older than a time read before the
 * stat, from an injected clock, by at least {@link #SETTLED}, or {@link #SETTLED_COARSE} when that
 * timestamp has no sub-second part (a file system with whole-second times), as git treats
 * "racily clean" index entries.
 *
 * <p>The same rule, with the same key, is written a second time in the tracer's
 * {@code dev.larder.tracer.FileHasher}, which remembers file hashes across runs: storage and
 * tracer share no code (both sit at the bottom of the module picture, tracer a client of the
 * protocol only), so neither can call the other's copy. A change to one is a change to both.
 *
 * @param size    the file's size in bytes
 * @param key     the comparable key
 * @param settled whether the key may be trusted to tell a later change apart (see above)
 */
record BlobStat(long size, String key, boolean settled) {
    /** How long after its last change a file's stat reliably tells a later change apart. */
    static final Duration SETTLED = Duration.ofMillis(200);
    /** As {@link #SETTLED}, for a file whose times have no sub-second part. */
    static final Duration SETTLED_COARSE = Duration.ofSeconds(2);

    private static final boolean UNIX = FileSystems.getDefault().supportedFileAttributeViews().contains("unix");

    /**
     * The stat of {@code file}, judged settled against a time read from {@code clock} just
     * before it; null if the file is missing or not a regular file.
     */
    static BlobStat of(Path file, InstantSource clock) {
        Instant before = clock.instant();
        try {
            if (UNIX) {
                Map<String, Object> a = Files.readAttributes(file,
                        "unix:dev,ino,size,lastModifiedTime,ctime,isRegularFile", LinkOption.NOFOLLOW_LINKS);
                if (!Boolean.TRUE.equals(a.get("isRegularFile"))) {
                    return null;
                }
                long size = (Long) a.get("size");
                long mtime = nanos(a.get("lastModifiedTime"));
                long ctime = nanos(a.get("ctime"));
                return new BlobStat(size, a.get("dev") + ":" + a.get("ino") + ":" + size + ":" + mtime + ":" + ctime,
                        settled(Math.max(mtime, ctime), before));
            }
            BasicFileAttributes b = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!b.isRegularFile()) {
                return null;
            }
            // No ctime here: the file key (where the platform has one) and the modification time.
            long mtime = nanos(b.lastModifiedTime());
            return new BlobStat(b.size(), b.fileKey() + ":" + b.size() + ":" + mtime, settled(mtime, before));
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether a file whose newest timestamp is {@code newestNanos} had settled at {@code before}
     * (a time read before its stat was taken): {@link #SETTLED} had passed since, or
     * {@link #SETTLED_COARSE} if the timestamp has no sub-second part.
     */
    static boolean settled(long newestNanos, Instant before) {
        long window = newestNanos % 1_000_000_000L == 0 ? SETTLED_COARSE.toNanos() : SETTLED.toNanos();
        return EpochNanos.of(before) - newestNanos >= window;
    }

    private static long nanos(Object time) {
        return ((FileTime) time).to(TimeUnit.NANOSECONDS);
    }
}
