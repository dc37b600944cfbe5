package dev.larder.helper;

import dev.larder.storage.h2.LocalStore;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.file.Path;

/**
 * A {@link CacheHelper} as its own process, on the test classpath, wired as {@code larder helper}
 * wires it (a 64 KiB buffer in front of stdout): what {@link CacheHelperTest} runs as a real
 * child process when the JVM's own limits (its heap) are part of what is tested.
 *
 * <p>The one argument is the store directory. Exits 0 when the session ends well, 1 otherwise,
 * with the failure on stderr.
 */
public final class ChildCacheHelper {
    private ChildCacheHelper() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("child cache helper: got " + args.length + " arguments, want the store directory");
            System.exit(2);
        }
        Path store = Path.of(args[0]);
        CacheHelper helper = CacheHelper.create(() -> LocalStore.open(store), HelperSettings.defaults());
        try {
            helper.serve(new FileInputStream(FileDescriptor.in),
                    new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024));
        } catch (Exception | OutOfMemoryError e) {
            System.err.println("child cache helper: " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
