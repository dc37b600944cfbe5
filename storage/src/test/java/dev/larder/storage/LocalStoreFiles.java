package dev.larder.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The files of a local store that hold output bytes: its blobs, and bodies being received. */
public final class LocalStoreFiles {
    private LocalStoreFiles() {
    }

    /** Every regular file under {@code store}'s {@code blobs} and {@code tmp} directories; none if it does not exist. */
    public static Set<Path> of(Path store) throws IOException {
        Set<Path> files = under(store.resolve("blobs"));
        files.addAll(under(store.resolve("tmp")));
        return files;
    }

    /** Every regular file under {@code root}; none if it does not exist. */
    public static Set<Path> under(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return new HashSet<>();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).collect(Collectors.toSet());
        }
    }
}
