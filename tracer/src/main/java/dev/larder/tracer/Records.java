package dev.larder.tracer;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.larder.protocol.ActionId;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place the records {@code larder run} stores are written and read back: manifests and
 * outputs lists. Whatever the cache serves is untrusted input, so reading is strict: unknown or
 * duplicate fields, numbers where text belongs, unknown ops, malformed paths, absurd sizes and
 * counts, and fields an op does not take are refused with a {@link Refused} naming what is wrong,
 * never half-read. A refused record is a miss; the command runs.
 *
 * <p>A manifest is checked in two steps: {@link #manifest} refuses a malformed whole, and
 * {@link #candidateProblem} refuses one candidate whose preconditions are malformed or whose
 * digest is not {@link CacheKeys#digest} of them under this identity (forged, truncated or
 * copied from another command's manifest). Where a replay may write is not checked here but by
 * {@link Confinement}, against the file system.
 */
final class Records {
    /** Larger records are refused unread (a real manifest or outputs list is far smaller). */
    static final long MAX_BYTES = 64L << 20;
    /** Preconditions in one candidate: a very large build reads fewer files than this. */
    static final int MAX_PRECONDITIONS = 1_000_000;
    /** File changes in one outputs list. */
    static final int MAX_FILE_OPS = 1_000_000;
    /** A content larger than this (1 TiB) is not believed. */
    static final long MAX_CONTENT_SIZE = 1L << 40;
    /** Linux's PATH_MAX and NAME_MAX. */
    static final int MAX_PATH = 4096;
    static final int MAX_NAME = 255;
    private static final int MAX_VALUE = 8192;
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
    private static final Set<String> OPS = Set.of("write", "append", "mkdir", "symlink", "delete");

    private static final JsonMapper JSON = strictMapper();

    /** A record that is not used, and why (lowercase, naming the field or path). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String why) {
            super(why);
        }
    }

    private Records() {
    }

    private static JsonMapper strictMapper() {
        JsonMapper m = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        // Text fields take only text: 12 or true where a path belongs is malformed, not "12".
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return m;
    }

    /** The JSON of a manifest or outputs list, as stored. */
    static byte[] write(Object record) throws IOException {
        return JSON.writeValueAsBytes(record);
    }

    /**
     * A manifest, read strictly: the current {@link Manifest#VERSION}, at most
     * {@link Manifest#MAX_CANDIDATES} candidates. Each candidate must still pass
     * {@link #candidateProblem} before it is used.
     */
    static Manifest manifest(byte[] json) throws Refused {
        Manifest m = read(json, Manifest.class);
        if (m.version() != Manifest.VERSION) {
            throw new Refused("manifest version " + m.version() + ", want " + Manifest.VERSION
                    + (m.version() < Manifest.VERSION ? " (written by an older larder)" : ""));
        }
        if (m.candidates().size() > Manifest.MAX_CANDIDATES) {
            throw new Refused("manifest has " + m.candidates().size() + " candidates, at most "
                    + Manifest.MAX_CANDIDATES + " are written");
        }
        return m;
    }

    /**
     * Why candidate {@code c} of {@code identity}'s manifest must not be used, or null if it may:
     * its preconditions must be well-formed and its digest must be theirs under this identity. A
     * candidate without preconditions is refused: every recorded run read at least the program it
     * executed, so only a forged record has none (and it would hit whatever the files hold).
     */
    static String candidateProblem(ActionId identity, Manifest.Candidate c) {
        if (c.digest() == null || !DIGEST.matcher(c.digest()).matches()) {
            return "candidate digest is not 64 lowercase hex digits";
        }
        String name = "candidate " + c.digest().substring(0, 12);
        if (c.preconditions().isEmpty()) {
            return name + " has no preconditions (a recorded run always reads the program it runs)";
        }
        if (c.preconditions().size() > MAX_PRECONDITIONS) {
            return name + " has " + c.preconditions().size() + " preconditions, at most " + MAX_PRECONDITIONS;
        }
        for (Precondition p : c.preconditions()) {
            String bad = preconditionProblem(p);
            if (bad != null) {
                return name + ": " + bad;
            }
        }
        if (!CacheKeys.digest(identity, c.preconditions()).equals(c.digest())) {
            return name + ": digest does not match its preconditions under this command "
                    + "(forged, truncated, or copied from another command's manifest)";
        }
        return null;
    }

    private static String preconditionProblem(Precondition p) {
        String bad = pathProblem(p.path(), false);
        if (bad != null) {
            return "precondition path " + quote(p.path()) + ": " + bad;
        }
        if (p.kind() == null) {
            return "precondition " + p.path() + " has no kind";
        }
        if (p.value() == null || p.value().isEmpty() || p.value().length() > MAX_VALUE) {
            return "precondition " + p.path() + " has no value, or one of absurd length";
        }
        if (!p.except().isEmpty() && p.kind() != Probe.Kind.LIST) {
            return "precondition " + p.path() + ": except given for a " + p.kind() + " precondition";
        }
        for (String e : p.except()) {
            if (nameProblem(e) != null) {
                return "precondition " + p.path() + ": except entry " + quote(e) + ": " + nameProblem(e);
            }
        }
        return null;
    }

    /**
     * An outputs list, read strictly: version 1, an exit code of 0..255, stdout and stderr,
     * and each file change a known op on a normal absolute path with exactly the fields that op
     * takes.
     */
    static Outputs outputs(byte[] json) throws Refused {
        Outputs o = read(json, Outputs.class);
        if (o.version() != 1) {
            throw new Refused("outputs version " + o.version() + ", want 1");
        }
        if (o.exitCode() < 0 || o.exitCode() > 255) {
            throw new Refused("outputs exit code " + o.exitCode() + ", want 0..255");
        }
        if (o.executions() < 0) {
            throw new Refused("outputs executions " + o.executions() + ", want >= 0");
        }
        blobProblem(o.stdout(), "stdout");
        blobProblem(o.stderr(), "stderr");
        orderProblem(o);
        if (o.files().size() > MAX_FILE_OPS) {
            throw new Refused("outputs have " + o.files().size() + " file changes, at most " + MAX_FILE_OPS);
        }
        for (Outputs.FileOp f : o.files()) {
            fileOpProblem(f);
        }
        return o;
    }

    /** The write order, if any, must name fds 1 and 2 only and add up to their blobs' sizes. */
    private static void orderProblem(Outputs o) throws Refused {
        if (o.order().isEmpty()) {
            return;
        }
        if (o.order().size() > MAX_FILE_OPS) {
            throw new Refused("outputs have " + o.order().size() + " output segments, at most " + MAX_FILE_OPS);
        }
        long[] sum = new long[3];
        for (Outputs.Segment s : o.order()) {
            if (s == null || (s.fd() != 1 && s.fd() != 2) || s.length() <= 0) {
                throw new Refused("output segment " + s + ": want fd 1 or 2 and a length > 0");
            }
            sum[s.fd()] += s.length();
        }
        long out = o.stdout() == null ? 0 : o.stdout().size();
        long err = o.stderr() == null ? 0 : o.stderr().size();
        if (sum[1] != out || sum[2] != err) {
            throw new Refused("output segments add up to " + sum[1] + " and " + sum[2] + " bytes, the blobs hold "
                    + out + " and " + err);
        }
    }

    private static void fileOpProblem(Outputs.FileOp f) throws Refused {
        if (f.op() == null || !OPS.contains(f.op())) {
            throw new Refused("unknown file change " + quote(f.op()) + " for " + quote(f.path()));
        }
        String bad = pathProblem(f.path(), true);
        if (bad != null) {
            throw new Refused(f.op() + " " + quote(f.path()) + ": " + bad);
        }
        String where = f.op() + " " + f.path();
        if (f.mode() < 0 || f.mode() > 07777) {
            throw new Refused(where + ": mode " + Integer.toOctalString(f.mode()) + " is not a permission mode");
        }
        // An append takes what a write takes: its content is the bytes appended, its mode is for a
        // file the replay has to create, its mtime orders it among the writes.
        boolean write = f.op().equals("write") || f.op().equals("append");
        boolean symlink = f.op().equals("symlink");
        if (write) {
            blobProblem(f.content(), where + ": content");
        } else if (f.content() != null) {
            throw new Refused(where + ": a " + f.op() + " has no content");
        }
        if (!write && f.mtime() != 0) {
            throw new Refused(where + ": a " + f.op() + " has no mtime");
        }
        if (symlink) {
            if (f.target() == null || f.target().isEmpty() || f.target().indexOf('\0') >= 0
                    || f.target().length() > MAX_PATH) {
                throw new Refused(where + ": symlink target " + quote(f.target()) + " is empty or malformed");
            }
        } else if (f.target() != null) {
            throw new Refused(where + ": a " + f.op() + " has no target");
        }
        if ((symlink || f.op().equals("delete")) && f.mode() != 0) {
            throw new Refused(where + ": a " + f.op() + " has no mode");
        }
    }

    private static void blobProblem(Outputs.Blob b, String what) throws Refused {
        if (b == null) {
            throw new Refused(what + " is missing");
        }
        if (b.size() < 0 || b.size() > MAX_CONTENT_SIZE) {
            throw new Refused(what + " size " + b.size() + " is absurd");
        }
    }

    /**
     * Why {@code path} is not a path a record may name, or null: it must be absolute and normal
     * (no empty, {@code .} or, for an output, {@code ..} segment; no trailing slash; no NUL),
     * within PATH_MAX and NAME_MAX, and an output is never {@code /} itself. A precondition may
     * hold {@code ..}: the recorder keeps it as the program named it (a symlink may precede it),
     * and a precondition is only looked at.
     */
    static String pathProblem(String path, boolean output) {
        if (path == null || path.isEmpty()) {
            return "empty";
        }
        if (path.indexOf('\0') >= 0) {
            return "contains a NUL byte";
        }
        if (path.length() > MAX_PATH) {
            return "longer than " + MAX_PATH + " characters";
        }
        if (!path.startsWith("/")) {
            return "not absolute";
        }
        if (path.equals("/")) {
            return output ? "is the root directory" : null;
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                return "not normal (an empty or . segment)";
            }
            if (segment.equals("..") && output) {
                return "has a .. segment";
            }
            if (segment.length() > MAX_NAME) {
                return "has a name longer than " + MAX_NAME + " characters";
            }
        }
        return null;
    }

    private static String nameProblem(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")) {
            return "not a name";
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0 || name.length() > MAX_NAME) {
            return "not a single name";
        }
        return null;
    }

    private static <T> T read(byte[] json, Class<T> type) throws Refused {
        if (json.length > MAX_BYTES) {
            throw new Refused(type.getSimpleName().toLowerCase() + " entry of " + json.length + " bytes, at most "
                    + MAX_BYTES);
        }
        try {
            T value = JSON.readValue(json, type);
            if (value == null) {
                throw new Refused(type.getSimpleName().toLowerCase() + " entry is null");
            }
            return value;
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new Refused("malformed " + type.getSimpleName().toLowerCase() + " entry: " + m);
        }
    }

    /** {@code s} in quotes with control characters escaped, for messages about untrusted text. */
    static String quote(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder("\"");
        String cut = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        for (char c : cut.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
