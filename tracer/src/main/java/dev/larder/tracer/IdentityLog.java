package dev.larder.tracer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * The identities each command (by its {@code argv[0]}) last ran with on this machine, so that
 * {@code --explain} can say what differs when a run's identity has no recording: a variable, an
 * argument, the directory, the executable, the umask or stdin. One small JSON file per command
 * name in a directory of the store, the {@link #KEPT} newest distinct identities in each;
 * variables' values are kept only as digests. Best effort: a file that cannot be read or
 * written is a log with nothing in it, never a failed run. Safe for processes running at once
 * (each file is replaced whole; one of two updates made at the same moment may be lost).
 */
final class IdentityLog {
    /** Distinct identities kept per command name. */
    static final int KEPT = 16;
    /** Command names kept: the files least recently written beyond this many are removed. */
    static final int COMMANDS = 256;
    private static final long MAX_FILE = 1 << 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<List<Entry>> ENTRIES = new TypeReference<>() {
    };

    /**
     * One run's identity, in parts.
     *
     * @param identity       the identity's hex, all of the rest hashed
     * @param env            the keyed environment: each name with a digest of its value
     * @param stdin          what stdin was, as {@link Stdin#identity} says it
     */
    record Entry(String identity, String cwd, List<String> argv, String executable, String executableHash,
            Map<String, String> env, int umask, String stdin) {
        Entry {
            argv = List.copyOf(argv);
            env = new TreeMap<>(env);
        }

        /** The entry of a run whose keyed environment is {@code keyedEnv} (values are digested here). */
        static Entry of(String identity, String cwd, List<String> argv, String executable, String executableHash,
                Map<String, String> keyedEnv, int umask, String stdin) {
            Map<String, String> digests = new TreeMap<>();
            keyedEnv.forEach((k, v) -> digests.put(k, DigestUtils.sha256Hex(v).substring(0, 16)));
            return new Entry(identity, cwd, argv, executable, executableHash, digests, umask, stdin);
        }
    }

    private final Optional<Path> dir;
    private final int files;

    /** A log in {@code dir} (created when first written), or none: nothing remembered, nothing read. */
    IdentityLog(Optional<Path> dir) {
        this(dir, COMMANDS);
    }

    /** As {@link #IdentityLog(Optional)}, keeping at most {@code files} keys' files. */
    IdentityLog(Optional<Path> dir, int files) {
        this.dir = dir;
        this.files = files;
    }

    /** The identities {@code command} ran with here, newest first; empty if none or unreadable. */
    List<Entry> read(String command) {
        if (dir.isEmpty()) {
            return List.of();
        }
        Path f = file(command);
        try {
            if (!Files.isRegularFile(f) || Files.size(f) > MAX_FILE) {
                return List.of();
            }
            List<Entry> all = JSON.readValue(f.toFile(), ENTRIES);
            return all.stream().filter(e -> e != null && e.identity() != null && e.cwd() != null
                    && e.argv() != null && e.executable() != null && e.stdin() != null).toList();
        } catch (IOException | RuntimeException e) {
            return List.of(); // only a hint: a damaged file is rewritten by the next run
        }
    }

    /**
     * Puts {@code now} first among its command's identities ({@code earlier}, as {@link #read}
     * returned them), unless it is first already; at most {@link #KEPT} are kept.
     */
    void remember(List<Entry> earlier, Entry now) {
        remember(now.argv().get(0), earlier, now);
    }

    /** As {@link #remember(List, Entry)}, under {@code key} (what {@link #read} was given). */
    void remember(String key, List<Entry> earlier, Entry now) {
        if (dir.isEmpty() || (!earlier.isEmpty() && earlier.get(0).equals(now))) {
            return;
        }
        List<Entry> all = new ArrayList<>();
        all.add(now);
        for (Entry e : earlier) {
            if (!e.identity().equals(now.identity()) && all.size() < KEPT) {
                all.add(e);
            }
        }
        Path f = file(key);
        try {
            Files.createDirectories(f.getParent());
            boolean added = !Files.exists(f);
            Path tmp = Files.createTempFile(f.getParent(), ".identities-", ".tmp");
            try {
                JSON.writeValue(tmp.toFile(), all);
                LocalFiles.moveIntoPlace(tmp, f);
            } finally {
                Files.deleteIfExists(tmp);
            }
            if (added) {
                trim(f.getParent());
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger("dev.larder.tracer").log(System.Logger.Level.DEBUG,
                    "could not remember the run's identity in " + f + ": " + e);
        }
    }

    /** Removes the files written least recently beyond the number kept. */
    private void trim(Path d) throws IOException {
        List<Path> present;
        try (Stream<Path> s = Files.list(d)) {
            present = s.filter(p -> p.getFileName().toString().endsWith(".json")).toList();
        }
        if (present.size() <= files) {
            return;
        }
        List<Path> oldestFirst = new ArrayList<>(present);
        oldestFirst.sort(Comparator.comparing(IdentityLog::modified));
        for (Path p : oldestFirst.subList(0, present.size() - files)) {
            Files.deleteIfExists(p);
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private Path file(String command) {
        return dir.orElseThrow().resolve(DigestUtils.sha256Hex(command.getBytes(StandardCharsets.UTF_8))
                .substring(0, 32) + ".json");
    }

    /**
     * Why {@code now} has no recording, from the identities its command ran with before, for a
     * miss's reason: that it ran before with this very identity (its recordings since gone), or
     * what differs from the closest earlier run (same directory and arguments first); empty if
     * the command never ran here.
     */
    static Optional<String> difference(List<Entry> earlier, Entry now) {
        if (earlier.stream().anyMatch(e -> e.identity().equals(now.identity()))) {
            return Optional.of("ran here before with this command line, environment, directory and executable, "
                    + "but its recordings are no longer in the cache");
        }
        Entry was = closest(earlier, now);
        if (was == null) {
            return Optional.empty();
        }
        List<String> d = differences(was, now);
        String which = was.cwd().equals(now.cwd())
                ? (was.argv().equals(now.argv()) ? "the last run of this command line here"
                        : "the last run of " + now.argv().get(0) + " here")
                : (was.argv().equals(now.argv()) ? "the last run of this command line (in " + was.cwd() + ")"
                        : "the last run of " + now.argv().get(0) + " (in " + was.cwd() + ")");
        return Optional.of("not run before with this identity; " + which + " differed in "
                + (d.isEmpty() ? "its key only" : String.join("; ", d)));
    }

    /** The earlier run most like {@code now}: same directory and arguments, then same directory, then same arguments, then the newest. */
    private static Entry closest(List<Entry> earlier, Entry now) {
        Comparator<Entry> likeness = Comparator.comparingInt(e -> (e.cwd().equals(now.cwd()) ? 0 : 2)
                + (e.argv().equals(now.argv()) ? 0 : 1));
        return earlier.stream().min(likeness).orElse(null); // min keeps the first (newest) of equals
    }

    /** What differs between two identities' parts, each said in a few words. */
    static List<String> differences(Entry was, Entry now) {
        List<String> d = new ArrayList<>();
        if (!was.cwd().equals(now.cwd())) {
            d.add("the directory (was " + was.cwd() + ")");
        }
        if (!was.argv().equals(now.argv())) {
            d.add("the arguments: " + argvDifference(was.argv(), now.argv()));
        }
        if (!was.executable().equals(now.executable())) {
            d.add("the executable (was " + was.executable() + ", now " + now.executable() + ")");
        } else if (!Objects.equals(was.executableHash(), now.executableHash())) {
            d.add("the executable's content (" + now.executable() + ")");
        }
        List<String> env = envDifference(was.env(), now.env());
        if (!env.isEmpty()) {
            int shown = Math.min(env.size(), 10);
            d.add("the environment: " + String.join(", ", env.subList(0, shown))
                    + (env.size() > shown ? ", and " + (env.size() - shown) + " more" : ""));
        }
        if (was.umask() != now.umask()) {
            d.add("the umask (was " + octal(was.umask()) + ", now " + octal(now.umask()) + ")");
        }
        if (!was.stdin().equals(now.stdin())) {
            d.add("stdin (was " + stdin(was.stdin()) + ", now " + stdin(now.stdin())
                    + (was.stdin().startsWith("file ") && now.stdin().startsWith("file ") ? " with other content" : "")
                    + ")");
        }
        return d;
    }

    private static String octal(int umask) {
        return String.format("%03o", umask);
    }

    private static String argvDifference(List<String> was, List<String> now) {
        if (was.size() == now.size()) {
            List<String> d = new ArrayList<>();
            for (int i = 0; i < now.size(); i++) {
                if (!was.get(i).equals(now.get(i))) {
                    d.add("argument " + i + " was " + quoted(was.get(i)) + ", now " + quoted(now.get(i)));
                }
            }
            int shown = Math.min(d.size(), 3);
            return String.join(", ", d.subList(0, shown)) + (d.size() > shown ? ", and " + (d.size() - shown) + " more" : "");
        }
        return "was " + words(was) + ", now " + words(now);
    }

    private static String words(List<String> argv) {
        String s = String.join(" ", argv.stream().map(IdentityLog::quoted).toList());
        return s.length() > 200 ? s.substring(0, 199) + "…" : s;
    }

    private static String quoted(String arg) {
        String s = arg.length() > 80 ? arg.substring(0, 79) + "…" : arg;
        return s.isEmpty() || s.chars().anyMatch(c -> c <= ' ' || c == '\'' || c == '"') ? "'" + s.replace("'", "'\\''") + "'" : s;
    }

    /** The names whose values differ: {@code CC changed}, {@code FOO set}, {@code BAR unset}; sorted. */
    private static List<String> envDifference(Map<String, String> was, Map<String, String> now) {
        TreeSet<String> names = new TreeSet<>(was.keySet());
        names.addAll(now.keySet());
        List<String> d = new ArrayList<>();
        for (String n : names) {
            String a = was.get(n);
            String b = now.get(n);
            if (a == null) {
                d.add(n + " set");
            } else if (b == null) {
                d.add(n + " unset");
            } else if (!a.equals(b)) {
                d.add(n + " changed");
            }
        }
        return d;
    }

    /** A stdin identity in words. */
    private static String stdin(String identity) {
        if (identity.equals("null")) {
            return "/dev/null";
        }
        if (identity.equals("closed")) {
            return "closed";
        }
        if (identity.startsWith("file ")) {
            return "a file";
        }
        return "a pipe or terminal";
    }
}
