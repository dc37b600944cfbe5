package dev.larder.tracer;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * The action ids the tracer stores under. Only hashes leave as keys: never an environment value
 * or a file's content.
 * <ul>
 *   <li>{@link #identity}: SHA-256 over (version, executable path and content hash, argv, the
 *       {@link #keyedEnvironment keyed environment}, cwd, umask, what stdin is) names the
 *       command's {@link Manifest};
 *   <li>{@link #digest}: SHA-256 over (that id, one candidate's preconditions) is the candidate's
 *       digest, recomputed whenever a manifest is read;
 *   <li>{@link #outputs}: SHA-256 over (that id, one candidate's digest) names that recorded
 *       run's {@link Outputs};
 *   <li>{@link #blob}: SHA-256 over (version, a content's SHA-256) names the content itself,
 *       stored with that SHA-256 as its {@link OutputId}, so the helper checks it.
 * </ul>
 */
final class CacheKeys {
    private static final String VERSION = "larder-run/1";
    /**
     * The shell's and make's bookkeeping variables, never keyed: they differ between identical
     * runs (the previous {@code cd}, the nesting depth, the last command's path) and no build
     * reads them for its result.
     */
    static final List<String> UNKEYED = List.of("OLDPWD", "SHLVL", "_");
    /**
     * Left out of a nested execution's identity besides {@link #UNKEYED}: make's depth, cargo's
     * copy of the jobserver, and the terminal's type and size. (PWD too, when it is the working
     * directory, which is keyed anyway.)
     */
    static final List<String> NESTED_UNKEYED = List.of("MAKELEVEL", "CARGO_MAKEFLAGS", "TERM", "COLUMNS", "LINES");
    private static final String NESTED_VERSION = VERSION + " nested";
    /** The variables whose jobserver options are not keyed (make's own words for its flags). */
    private static final List<String> MAKE_FLAGS = List.of("MAKEFLAGS", "MFLAGS");
    /** The options naming make's jobserver: descriptors or a fifo, new at every top-level make. */
    private static final List<String> JOBSERVER = List.of("--jobserver-auth=", "--jobserver-fds=");

    private CacheKeys() {
    }

    /** A command's identity. */
    static ActionId identity(String executable, String executableHash, List<String> argv, Map<String, String> env,
            String cwd, int umask, String stdin) {
        return identity(VERSION, executable, executableHash, argv, env, cwd, umask, stdin);
    }

    /**
     * The identity of an execution inside a traced tree, from what its execve passes: hashed under
     * a tag of its own, so a nested unit's record (its output in write order) is never taken for
     * a whole run's. {@code env} as {@link #nestedEnvironment} keys it.
     */
    static ActionId nestedIdentity(String executable, String executableHash, List<String> argv,
            Map<String, String> env, String cwd, int umask, String stdin) {
        return identity(NESTED_VERSION, executable, executableHash, argv, env, cwd, umask, stdin);
    }

    /**
     * {@code envp} (NAME=value strings, as an execve passes them) as a nested execution's identity
     * holds it: {@link #keyedEnvironment}, less {@link #NESTED_UNKEYED} and PWD when it equals
     * {@code cwd}. A string without {@code =} is kept whole as a name with no value.
     */
    static Map<String, String> nestedEnvironment(List<String> envp, String cwd, Collection<String> ignored) {
        Map<String, String> env = new TreeMap<>();
        for (String e : envp) {
            int eq = e.indexOf('=');
            // The first of two same-named strings is what getenv finds.
            env.putIfAbsent(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
        }
        Map<String, String> keyed = keyedEnvironment(env, ignored);
        keyed.keySet().removeAll(NESTED_UNKEYED);
        if (cwd.equals(keyed.get("PWD"))) {
            keyed.remove("PWD");
        }
        return keyed;
    }

    private static ActionId identity(String version, String executable, String executableHash, List<String> argv,
            Map<String, String> env, String cwd, int umask, String stdin) {
        MessageDigest md = DigestUtils.getSha256Digest();
        field(md, version);
        field(md, executable);
        field(md, executableHash);
        field(md, "argv " + argv.size());
        argv.forEach(a -> field(md, a));
        Map<String, String> sorted = new TreeMap<>(env);
        field(md, "env " + sorted.size());
        sorted.forEach((k, v) -> field(md, k + "=" + v));
        field(md, cwd);
        field(md, Integer.toOctalString(umask));
        field(md, stdin);
        return new ActionId(md.digest());
    }

    /**
     * {@code env} as a run's identity holds it: without the {@link #UNKEYED} variables and those
     * named in {@code ignored}, and with the jobserver options left out of {@code MAKEFLAGS} and
     * {@code MFLAGS} (the rest of them, {@code -j2} or {@code -k}, is kept). The command itself
     * still gets the whole {@code env}.
     */
    static Map<String, String> keyedEnvironment(Map<String, String> env, Collection<String> ignored) {
        Map<String, String> keyed = new TreeMap<>(env);
        keyed.keySet().removeAll(UNKEYED);
        keyed.keySet().removeAll(ignored);
        for (String name : MAKE_FLAGS) {
            keyed.computeIfPresent(name, (k, v) -> withoutJobserver(v));
        }
        return keyed;
    }

    /**
     * Make's flags without the jobserver options: they are among the words before a {@code --}
     * word (after it come variable assignments, kept as they are).
     */
    static String withoutJobserver(String flags) {
        List<String> words = new ArrayList<>(Arrays.asList(flags.split(" ", -1)));
        int end = words.indexOf("--");
        List<String> options = words.subList(0, end < 0 ? words.size() : end);
        options.removeIf(w -> JOBSERVER.stream().anyMatch(w::startsWith));
        return String.join(" ", words);
    }

    /**
     * The hex digest of one candidate of {@code identity}'s manifest: its preconditions, in order,
     * bound to the identity, so a candidate copied into another command's manifest does not
     * check (the manifest's JSON holds it as hex).
     */
    static String digest(ActionId identity, List<Precondition> preconditions) {
        MessageDigest md = DigestUtils.getSha256Digest();
        field(md, VERSION + " candidate");
        md.update(identity.bytes());
        for (Precondition p : preconditions) {
            field(md, p.path());
            field(md, p.kind().name());
            field(md, p.value());
            p.except().forEach(e -> field(md, e));
            field(md, "");
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Where one candidate's outputs are stored. */
    static ActionId outputs(ActionId identity, String digest) {
        MessageDigest md = DigestUtils.getSha256Digest();
        field(md, VERSION + " outputs");
        md.update(identity.bytes());
        field(md, digest);
        return new ActionId(md.digest());
    }

    /** Where a content with this SHA-256 is stored (under the hex form, as version 1 named it). */
    static ActionId blob(OutputId sha256) {
        MessageDigest md = DigestUtils.getSha256Digest();
        field(md, VERSION + " blob");
        field(md, sha256.toString());
        return new ActionId(md.digest());
    }

    /** Each field is length-prefixed, so no two different field lists hash alike. */
    private static void field(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update((byte) (b.length >>> 24));
        md.update((byte) (b.length >>> 16));
        md.update((byte) (b.length >>> 8));
        md.update((byte) b.length);
        md.update(b);
    }
}
