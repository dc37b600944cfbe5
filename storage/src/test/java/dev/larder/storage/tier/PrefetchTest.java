package dev.larder.storage.tier;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record of the actions a working directory's session asked for, in a real file. */
class PrefetchTest {
    @TempDir
    Path tmp;

    private static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    private Path record() {
        return tmp.resolve("store").resolve("prefetch").resolve(Digest.sha256("/work/project".getBytes(UTF_8)).toString());
    }

    private static void assertPrevious(List<Digest> want, Prefetch p) throws IOException {
        List<Digest> got = p.previous();
        assertEquals(want, got, "previous: got " + got + ", want " + want);
    }

    @Test
    void previous_noRecord_isEmpty() throws IOException {
        assertPrevious(List.of(), new Prefetch(record()));
    }

    @Test
    void save_thenPreviousInTheNextSession_isWhatWasAskedInOrderOnce() throws IOException {
        Prefetch session = new Prefetch(record());
        session.asked(action("b"));
        session.asked(action("a"));
        session.asked(action("b"));
        session.asked(action("c"));
        session.save();
        assertEquals(3 * Digest.LENGTH, Files.size(record()), "record size: got " + Files.size(record())
                + " bytes, want 3 actions of " + Digest.LENGTH);
        assertPrevious(List.of(action("b"), action("a"), action("c")), new Prefetch(record()));
    }

    @Test
    void save_nothingAsked_keepsTheLastRecord() throws IOException {
        Prefetch first = new Prefetch(record());
        first.asked(action("a"));
        first.save();
        new Prefetch(record()).save();
        assertPrevious(List.of(action("a")), new Prefetch(record()));
    }

    @Test
    void save_again_replacesTheRecordAndLeavesNoTempFiles() throws IOException {
        Prefetch first = new Prefetch(record());
        first.asked(action("a"));
        first.save();
        Prefetch second = new Prefetch(record());
        second.asked(action("b"));
        second.save();
        assertPrevious(List.of(action("b")), new Prefetch(record()));
        try (Stream<Path> files = Files.list(record().getParent())) {
            List<Path> got = files.toList();
            assertEquals(List.of(record()), got, "files beside the record: got " + got + ", want the record alone");
        }
    }

    @Test
    void previous_recordNotWholeDigests_isEmpty() throws IOException {
        Files.createDirectories(record().getParent());
        Files.write(record(), new byte[Digest.LENGTH + 5]);
        assertPrevious(List.of(), new Prefetch(record()));
    }

    @Test
    void asked_beyondMaxActions_isNotRecorded() throws IOException {
        Prefetch session = new Prefetch(record());
        IntStream.rangeClosed(0, Prefetch.MAX_ACTIONS).forEach(i -> session.asked(action("n" + i)));
        session.save();
        List<Digest> got = new Prefetch(record()).previous();
        assertEquals(Prefetch.MAX_ACTIONS, got.size(), "recorded: got " + got.size() + ", want " + Prefetch.MAX_ACTIONS);
        assertFalse(got.contains(action("n" + Prefetch.MAX_ACTIONS)), "the action past the limit: got recorded, want left out");
        assertTrue(got.contains(action("n0")), "the first action: got left out, want recorded");
    }
}
