package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * What stat says of a blob file, as a key that changes whenever the file's content may have
 * changed: inode, size, modification and change times. Writing to a file updates its ctime, which
 * no ordinary tool can set back, so an unchanged key means bytes as last hashed.
 *
 * <p>File times come from the kernel's coarse clock, so two writes a few milliseconds apart can
 * leave the same times: a key is only worth recording once the file is older than
 * {@link #SETTLED} ({@link #settledAt}), as git treats "racily clean" index entries.
 *
 * @param size        the file's size in bytes
 * @param key         the comparable key
 * @param changeNanos the file's ctime (or mtime where there is none), nanoseconds since the epoch
 */
record BlobStat(long size, String key, long changeNanos) {
    /** How long after its last change a file's stat reliably tells a later change apart. */
    static final java.time.Duration SETTLED = java.time.Duration.ofMillis(200);

    private static final boolean UNIX = java.nio.file.FileSystems.getDefault()
            .supportedFileAttributeViews().contains("unix");

    /** The stat of {@code file}, or null if it is missing or not a regular file. */
    static BlobStat of(Path file) {
        try {
            if (UNIX) {
                Map<String, Object> a = Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime,isRegularFile",
                        LinkOption.NOFOLLOW_LINKS);
                if (!Boolean.TRUE.equals(a.get("isRegularFile"))) {
                    return null;
                }
                long size = (Long) a.get("size");
                long ctime = nanos(a.get("ctime"));
                return new BlobStat(size, a.get("ino") + ":" + size + ":" + nanos(a.get("lastModifiedTime")) + ":"
                        + ctime, ctime);
            }
            BasicFileAttributes b = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!b.isRegularFile()) {
                return null;
            }
            long mtime = nanos(b.lastModifiedTime());
            return new BlobStat(b.size(), b.fileKey() + ":" + b.size() + ":" + mtime, mtime);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether, at {@code statTakenBefore} (a time read before this stat was taken), the file had
     * last changed long enough before for its key to be trusted: a later write could not leave
     * the same times. File systems whose times have no sub-second part (ctime ends in zero
     * nanoseconds) need two seconds.
     */
    boolean settledAt(java.time.Instant statTakenBefore) {
        long before = statTakenBefore.getEpochSecond() * 1_000_000_000L + statTakenBefore.getNano();
        long granularity = changeNanos % 1_000_000_000L == 0 ? 2_000_000_000L : SETTLED.toNanos();
        return before - changeNanos >= granularity;
    }

    private static long nanos(Object time) {
        FileTime t = (FileTime) time;
        java.time.Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
