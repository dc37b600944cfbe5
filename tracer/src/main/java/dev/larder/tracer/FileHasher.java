package dev.larder.tracer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.InstantSource;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of regular files, remembered by their stat data (device, inode, size, mtime and ctime
 * in nanoseconds), as ccache's and cmd/go's file hash caches do: a file whose stat data is
 * unchanged is not read again. An edit that restores the old mtime still changes ctime, so it
 * is seen. A file changed within {@link #RACY} of being hashed is not remembered across runs
 * (its timestamps might not move on a second change within the clock's granularity).
 *
 * <p>Thread-safe. {@link #save()} merges this run's entries into the cache file (atomically
 * replaced); losing it only costs re-hashing.
 */
final class FileHasher {
    static final long RACY = 2_000_000_000L;
    private static final int MAGIC = 0x4c524831; // "LRH1"
    private static final int MAX_ENTRIES = 200_000;

    private record Entry(String stat, String sha256) {
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

    /** As {@link #open(Optional)}, judging racy files by {@code clock}. */
    static FileHasher open(Optional<Path> file, InstantSource clock) {
        FileHasher h = new FileHasher(file, clock);
        file.ifPresent(h::load);
        return h;
    }

    /**
     * The hex SHA-256 of the regular file at {@code path} (symlinks followed).
     *
     * @throws IOException if it cannot be read (NoSuchFileException if missing)
     */
    String hash(Path path) throws IOException {
        String key = path.toString();
        Stat before = stat(path);
        Entry e = entries.get(key);
        if (e != null && e.stat.equals(before.key)) {
            return e.sha256;
        }
        String sha = digest(path);
        Stat after = stat(path);
        if (before.key.equals(after.key)) {
            Entry n = new Entry(after.key, sha);
            entries.put(key, n);
            if (!racy(after)) {
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

    /** A file's stat key, and its newest timestamp (mtime or ctime) in nanoseconds. */
    private record Stat(String key, long newest) {
    }

    private boolean racy(Stat s) {
        Instant t = clock.instant();
        long now = t.getEpochSecond() * 1_000_000_000L + t.getNano();
        return s.newest > now - RACY;
    }

    private static Stat stat(Path path) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,size,lastModifiedTime,ctime");
        long mtime = nanos(a.get("lastModifiedTime"));
        long ctime = nanos(a.get("ctime"));
        return new Stat(a.get("dev") + ":" + a.get("ino") + ":" + a.get("size") + ":" + mtime + ":" + ctime,
                Math.max(mtime, ctime));
    }

    private static long nanos(Object time) {
        FileTime t = (FileTime) time;
        return t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private String digest(Path path) throws IOException {
        long[] size = new long[1];
        String sha = contentHash(path, size);
        synchronized (this) {
            bytesHashed += size[0];
            filesHashed++;
        }
        return sha;
    }

    /** The hex SHA-256 of a file's content, read once, not remembered; {@code size[0]} gets its length. */
    static String contentHash(Path path, long[] size) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try (InputStream in = Files.newInputStream(path)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
                total += n;
            }
        }
        size[0] = total;
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    private void load(Path f) {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(f)))) {
            if (in.readInt() != MAGIC) {
                return;
            }
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String path = in.readUTF();
                String stat = in.readUTF();
                String sha = in.readUTF();
                entries.put(path, new Entry(stat, sha));
            }
        } catch (NoSuchFileException e) {
            // another run replaced it as we looked: start empty
        } catch (IOException e) {
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
                ? new java.util.HashMap<>() : new java.util.HashMap<>(current.entries);
        merged.putAll(fresh);
        try {
            Files.createDirectories(f.getParent());
            Path tmp = Files.createTempFile(f.getParent(), ".hashes-", ".tmp");
            try {
                try (DataOutputStream out = new DataOutputStream(
                        new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
                    out.writeInt(MAGIC);
                    out.writeInt(merged.size());
                    for (Map.Entry<String, Entry> e : merged.entrySet()) {
                        out.writeUTF(e.getKey());
                        out.writeUTF(e.getValue().stat);
                        out.writeUTF(e.getValue().sha256);
                    }
                }
                try {
                    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            System.getLogger("dev.larder.tracer").log(System.Logger.Level.DEBUG,
                    "could not save the file hash cache " + f + ": " + e.getMessage());
        }
    }
}
