package dev.larder.tracer;

import dev.larder.protocol.OutputId;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * SHA-256 of regular files, remembered by their stat key (device, inode, size, mtime and ctime
 * in nanoseconds), as ccache's and cmd/go's file hash caches do: a file whose stat key is
 * unchanged is not read again. An edit that restores the old mtime still changes ctime, so it
 * is seen.
 *
 * <p>A key is remembered across runs only once it can be trusted: the newest of the file's mtime
 * and ctime must be older, by at least {@link #SETTLED} ({@link #SETTLED_COARSE} when that
 * timestamp has no sub-second part: a coarse file system), than a time read from the injected
 * clock before the stat was taken; a second change within the timestamps' granularity could
 * otherwise leave the same key (git's "racily clean" entries). The same rule, with the same key,
 * is storage's {@code dev.larder.storage.h2.BlobStat}; it is written twice because storage and
 * the tracer share no code (the tracer is a client of the protocol only), so a change to one
 * must be made to the other.
 *
 * <p>Thread-safe. {@link #save()} merges this run's entries into the cache file (atomically
 * replaced); losing it only costs re-hashing.
 */
final class FileHasher {
    /** How long before the clock's reading a file must have last changed for its key to be trusted. */
    static final Duration SETTLED = Duration.ofMillis(200);
    /** {@link #SETTLED} for a timestamp without sub-second part (a file system with whole-second times). */
    static final Duration SETTLED_COARSE = Duration.ofSeconds(2);
    private static final int MAGIC = 0x4c524831; // "LRH1"
    private static final int MAX_ENTRIES = 200_000;

    private record Entry(String stat, OutputId sha256) {
    }

    private final Optional<Path> file;
    private final InstantSource clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<String, Entry> fresh = new ConcurrentHashMap<>();
    private long bytesHashed;
    private long filesHashed;

    private FileHasher(Optional<Path> file, InstantSource clock) {
        this.file = file;
        this.clock = clock;
    }

    /** A hasher remembering across runs in {@code file} (created when saved), or only in memory. */
    static FileHasher open(Optional<Path> file) {
        return open(file, InstantSource.system());
    }

    /** As {@link #open(Optional)}, judging whether a stat key can be trusted by {@code clock}. */
    static FileHasher open(Optional<Path> file, InstantSource clock) {
        FileHasher h = new FileHasher(file, clock);
        file.ifPresent(h::load);
        return h;
    }

    /**
     * The SHA-256 of the regular file at {@code path} (symlinks followed).
     *
     * @throws IOException if it cannot be read (NoSuchFileException if missing)
     */
    OutputId hash(Path path) throws IOException {
        String key = path.toString();
        Instant readBeforeStat = clock.instant();
        Stat before = stat(path);
        Entry e = entries.get(key);
        if (e != null && e.stat.equals(before.key)) {
            return e.sha256;
        }
        OutputId sha = OutputId.of(path);
        synchronized (this) {
            bytesHashed += before.size;
            filesHashed++;
        }
        Stat after = stat(path);
        if (before.key.equals(after.key)) {
            Entry n = new Entry(after.key, sha);
            entries.put(key, n);
            if (settled(after.newest, readBeforeStat)) {
                fresh.put(key, n);
            }
        }
        return sha;
    }

    long bytesHashed() {
        return bytesHashed;
    }

    long filesHashed() {
        return filesHashed;
    }

    /**
     * Whether a file whose newest timestamp (mtime or ctime, nanoseconds since the epoch) is
     * {@code newestNanos} had settled at {@code readBeforeStat}, a time read before its stat:
     * older by {@link #SETTLED}, or {@link #SETTLED_COARSE} if the timestamp has no sub-second part.
     */
    static boolean settled(long newestNanos, Instant readBeforeStat) {
        long before = readBeforeStat.getEpochSecond() * 1_000_000_000L + readBeforeStat.getNano();
        Duration window = newestNanos % 1_000_000_000L == 0 ? SETTLED_COARSE : SETTLED;
        return before - newestNanos >= window.toNanos();
    }

    /** A file's stat key, its size, and its newest timestamp (mtime or ctime) in nanoseconds. */
    private record Stat(String key, long size, long newest) {
    }

    private static Stat stat(Path path) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,size,lastModifiedTime,ctime");
        long mtime = nanos(a.get("lastModifiedTime"));
        long ctime = nanos(a.get("ctime"));
        long size = (Long) a.get("size");
        return new Stat(a.get("dev") + ":" + a.get("ino") + ":" + size + ":" + mtime + ":" + ctime, size,
                Math.max(mtime, ctime));
    }

    private static long nanos(Object time) {
        return ((FileTime) time).to(TimeUnit.NANOSECONDS);
    }

    private void load(Path f) {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f)))) {
            if (in.readInt() != MAGIC) {
                return;
            }
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String path = in.readUTF();
                String stat = in.readUTF();
                OutputId sha = OutputId.fromHex(in.readUTF());
                entries.put(path, new Entry(stat, sha));
            }
        } catch (NoSuchFileException e) {
            // another run replaced it as we looked: start empty
        } catch (IOException | IllegalArgumentException e) {
            // a damaged cache is only a cache: start empty, the next save rewrites it
            entries.clear();
        }
    }

    /** Merges this run's new entries into the cache file; failures only cost re-hashing later. */
    void save() {
        if (file.isEmpty() || fresh.isEmpty()) {
            return;
        }
        Path f = file.get();
        FileHasher current = new FileHasher(file, clock);
        current.load(f);
        Map<String, Entry> merged = current.entries.size() + fresh.size() > MAX_ENTRIES
                ? new HashMap<>() : new HashMap<>(current.entries);
        merged.putAll(fresh);
        try {
            Files.createDirectories(f.getParent());
            Path tmp = Files.createTempFile(f.getParent(), ".hashes-", ".tmp");
            try {
                try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                    out.writeInt(MAGIC);
                    out.writeInt(merged.size());
                    for (Map.Entry<String, Entry> e : merged.entrySet()) {
                        out.writeUTF(e.getKey());
                        out.writeUTF(e.getValue().stat);
                        // the hex form, as in every file the tracer writes
                        out.writeUTF(e.getValue().sha256.toString());
                    }
                }
                LocalFiles.moveIntoPlace(tmp, f);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            System.getLogger("dev.larder.tracer").log(System.Logger.Level.DEBUG,
                    "could not save the file hash cache " + f + ": " + e.getMessage());
        }
    }
}
