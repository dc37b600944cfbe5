package dev.larder.cli;

import dev.larder.storage.trust.SigningKey;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder keygen}: a key pair for signing the records larder writes to shared caches. */
@Command(name = "keygen",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Write a new Ed25519 key pair: the private key to FILE (mode 0600; give it to whoever",
            "writes the shared cache, e.g. CI, as --sign-key or $LARDER_SIGN_KEY) and its public key",
            "to FILE.pub (one line, safe to commit; readers pass it as --trust-key). Prints the",
            "public line on stdout.",
        },
        footer = {"", "Exit status: 0 when both files are written; 1 if either exists or cannot be written;",
            "2 for bad usage."})
final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "FILE", required = true,
            description = "Where the private key goes; the public key goes to FILE.pub. Neither may exist.")
    private Path out;

    @Option(names = "--comment", paramLabel = "TEXT",
            description = "Who the key is, at the end of the public line (default: USER@HOST).")
    private String comment;

    @Override
    public Integer call() throws IOException {
        Invocation inv = Invocation.current();
        Path file = inv.resolve(out);
        String line;
        try {
            line = SigningKey.generate(file, comment != null ? comment : defaultComment(inv));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(e.getFile() + " exists; not overwritten (remove it or choose another --out)", e);
        }
        inv.out().write((line + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        inv.out().flush();
        inv.err().println("larder keygen: wrote " + file + " (private, 0600) and " + SigningKey.publicFile(file)
                + " (public)");
        return 0;
    }

    private static String defaultComment(Invocation inv) {
        String user = inv.env().getOrDefault("USER", System.getProperty("user.name", "larder"));
        try {
            return user + "@" + InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return user;
        }
    }
}
