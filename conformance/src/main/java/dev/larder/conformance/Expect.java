package dev.larder.conformance;

import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/** The assertions checks share; each throws {@link CheckFailure} with Expected and Actual. */
final class Expect {
    private Expect() {
    }

    /** The reply carries no {@code Err}. */
    static void noError(Reply r, String what) throws CheckFailure {
        if (r.isError()) {
            throw new CheckFailure(what + " answered without Err", "Err " + quote(r.err()) + " in " + r.brief());
        }
    }

    /** The reply is a get hit: no Err, no Miss, an OutputID. */
    static void hit(Reply r, String what) throws CheckFailure {
        noError(r, what);
        if (r.miss()) {
            throw new CheckFailure(what + " to be a hit", "a miss: " + r.brief());
        }
        if (r.rawOutputId() == null) {
            throw new CheckFailure(what + " to be a hit carrying an OutputID", r.brief());
        }
    }

    /** The reply is a hit serving exactly {@code body}: its OutputID, and its DiskPath's bytes. */
    static void serves(Reply r, byte[] body, String what) throws CheckFailure {
        hit(r, what);
        outputId(r, OutputId.of(body), what);
        diskPathHolds(r, body, what);
    }

    /**
     * The helper exits, with a non-zero status, within the timeout of {@code what} (input it
     * cannot frame); returns the status.
     */
    static int exitsNonZero(HelperSession s, String what) throws CheckFailure, InterruptedException {
        int status = s.awaitExit(s.timeout()).orElseThrow(() -> new CheckFailure(
                "an exit within " + HelperSession.seconds(s.timeout()) + " of " + what, "still running"));
        if (status == 0) {
            throw new CheckFailure("a non-zero exit status after " + what, "exit status 0");
        }
        return status;
    }

    /** The reply is not a hit: a miss or an error (the entry is not served). */
    static void notServed(Reply r, String what) throws CheckFailure {
        if (!r.isError() && !r.miss()) {
            throw new CheckFailure(what + " to be a miss (or an Err): the entry must not be served", r.brief());
        }
    }

    /** The reply's OutputID is {@code want}. */
    static void outputId(Reply r, OutputId want, String what) throws CheckFailure {
        byte[] got = r.rawOutputId();
        if (got == null || !Arrays.equals(got, want.bytes())) {
            throw new CheckFailure(what + " with OutputID " + hex(want.bytes()),
                    got == null ? "no OutputID: " + r.brief() : "OutputID " + hex(got));
        }
    }

    /** The reply's DiskPath is absolute and names a file holding exactly {@code body}. */
    static void diskPathHolds(Reply r, byte[] body, String what) throws CheckFailure {
        diskPathHolds(r, body.length, OutputId.of(body), body, what);
    }

    /**
     * The reply's DiskPath is absolute and names a file of {@code size} bytes hashing to
     * {@code want}; {@code body}, when known, locates the first differing byte.
     */
    static void diskPathHolds(Reply r, long size, OutputId want, byte[] body, String what) throws CheckFailure {
        String dp = r.diskPath();
        if (dp == null) {
            throw new CheckFailure(what + " with a DiskPath", "no DiskPath: " + r.brief());
        }
        Path p = absolute(dp, what);
        fileHolds(p, size, want, body, what + "'s DiskPath");
    }

    static Path absolute(String dp, String what) throws CheckFailure {
        Path p;
        try {
            p = Path.of(dp);
        } catch (InvalidPathException e) {
            throw new CheckFailure(what + " with a DiskPath that is a path", quote(dp) + ": " + e.getMessage());
        }
        if (!p.isAbsolute()) {
            throw new CheckFailure(what + " with an absolute DiskPath (cmd/go reads it from its own working"
                    + " directory)", "DiskPath " + quote(dp));
        }
        return p;
    }

    /** The file holds exactly {@code size} bytes hashing to {@code want}. */
    static void fileHolds(Path p, long size, OutputId want, byte[] body, String what) throws CheckFailure {
        long got;
        byte[] hash;
        byte[] content = null;
        try {
            if (body != null && size <= 1 << 20) {
                content = Files.readAllBytes(p);
                got = content.length;
                hash = OutputId.of(content).bytes();
            } else {
                got = Files.size(p);
                hash = OutputId.of(p).bytes();
            }
        } catch (NoSuchFileException e) {
            throw new CheckFailure(what + " " + p + " to exist", "no such file");
        } catch (IOException e) {
            throw new CheckFailure(what + " " + p + " to be readable", e.toString());
        }
        if (got != size || !Arrays.equals(hash, want.bytes())) {
            String where = content == null ? "" : firstDifference(content, body);
            throw new CheckFailure(what + " " + p + " to hold the " + size + " bytes put (sha256 " + hex(want.bytes()) + ")",
                    got + " bytes (sha256 " + hex(hash) + ")" + where);
        }
    }

    private static String firstDifference(byte[] got, byte[] want) {
        int n = Math.min(got.length, want.length);
        for (int i = 0; i < n; i++) {
            if (got[i] != want[i]) {
                return String.format("; first difference at byte %d: 0x%02x, want 0x%02x", i, got[i] & 0xff,
                        want[i] & 0xff);
            }
        }
        return got.length == want.length ? "" : "; the first " + n + " bytes agree";
    }

    /** The first 12 hex digits, enough to tell two hashes apart in a report. */
    static String hex(byte[] b) {
        String h = HexFormat.of().formatHex(b);
        return h.length() > 12 ? h.substring(0, 12) + "..." : h;
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
