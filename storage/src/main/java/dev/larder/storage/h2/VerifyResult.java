package dev.larder.storage.h2;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link LocalStore#verify} found.
 *
 * @param blobsChecked blobs hashed
 * @param bytesChecked bytes hashed
 * @param problems     every problem found, in the order found
 * @param repaired     whether the problems were repaired
 */
public record VerifyResult(long blobsChecked, long bytesChecked, List<Problem> problems, boolean repaired) {
    public VerifyResult {
        problems = List.copyOf(problems);
    }

    /** Whether nothing was wrong. */
    public boolean clean() {
        return problems.isEmpty();
    }

    /** The kinds of problem a store can have. */
    public enum Kind {
        /** The index names an output whose blob file is missing. */
        MISSING_BLOB,
        /** A blob's length differs from the indexed size. */
        WRONG_SIZE,
        /** A blob's bytes do not hash to its name. */
        WRONG_HASH,
        /**
         * A blob file no entry names and the index does not know as unnamed: left by a put whose
         * index write never happened (its process died), or by an earlier larder, which kept a
         * replaced output without counting it. (A replaced output or an upload the index records
         * as unnamed is no problem: {@link LocalStore#trim} removes it after the protected hour.)
         */
        ORPHAN_BLOB,
        /** A file in {@code blobs/} or {@code tmp/} that larder did not put there, or left by a killed put. */
        STRAY_FILE
    }

    /**
     * One problem.
     *
     * @param kind    what is wrong
     * @param path    the file concerned
     * @param entries how many entries it affects
     * @param detail  what was found, in words
     */
    public record Problem(Kind kind, Path path, long entries, String detail) {
    }
}
