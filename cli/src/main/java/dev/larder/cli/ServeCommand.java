package dev.larder.cli;

import dev.larder.storage.h2.LocalStore;
import dev.larder.storage.server.CacheServer;
import dev.larder.storage.trust.RecordKeys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code larder serve}: the local store over the Bazel HTTP remote-cache protocol. */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Serve the local store over the Bazel HTTP remote-cache protocol (GET/HEAD/PUT",
            "/ac/<hex> and /cas/<sha256>), for teams without bazel-remote. /cas/ bodies are",
            "verified against their key; /ac/ records are accepted only for outputs in /cas/.",
            "Runs until SIGTERM or Ctrl-C; one access-log line per request on stderr.",
        },
        footer = {"", "Exit status: 0 after a clean shutdown (143 when stopped by SIGTERM, as the JVM",
            "reports it); 1 if it cannot listen or open the store; 2 for bad usage."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; port 0 picks a free one).")
    private String listen;

    @CommandLine.Mixin
    private DirOptions dir;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "PUTs must carry Authorization: Bearer <the token in FILE>.")
    private Path tokenFile;

    @Option(names = "--read-only", description = "Refuse every PUT.")
    private boolean readOnly;

    @Option(names = "--max-body", paramLabel = "SIZE", defaultValue = "1GiB",
            description = "Largest body accepted (default: ${DEFAULT-VALUE}).")
    private String maxBody;

    @CommandLine.Mixin
    private KeyOptions keys;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        InetSocketAddress address = address();
        long max = ByteSize.parse(maxBody, "--max-body");
        // A bad token file is an I/O failure of serve (exit 1), as it always was.
        Optional<String> token = tokenFile == null ? Optional.empty() : Optional.of(TokenFile.read(tokenFile));
        RecordKeys recordKeys = keys.resolve(Invocation.current().env());
        Path root = dir.resolve();
        LocalStore store = LocalStore.open(root, StoreClock.get());
        CacheServer server;
        try {
            server = CacheServer.start(store, address, token, readOnly, max, System.err, recordKeys);
        } catch (IOException e) {
            closeQuietly(store);
            throw new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("larder serve: stopping");
            server.close();
            closeQuietly(store);
            stopped.countDown();
        }, "larder-serve-shutdown"));
        System.err.println("larder serve: http://" + address.getHostString() + ":" + server.port() + "/ serving "
                + root + (readOnly ? " (read-only)" : "") + (token.isPresent() ? " (PUT needs the token)" : "")
                + (recordKeys.trust().isPresent() ? " (records only signed by " + recordKeys.trust().get().size()
                        + " trusted keys)" : "") + (recordKeys.signer().isPresent() ? " (signing records)" : ""));
        stopped.await();
        return 0;
    }

    private InetSocketAddress address() {
        int colon = listen.lastIndexOf(':');
        try {
            if (colon < 1) {
                throw new NumberFormatException();
            }
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(listen.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--listen: want HOST:PORT such as 127.0.0.1:8080, got " + listen);
        }
    }

    private static void closeQuietly(LocalStore store) {
        try {
            store.close();
        } catch (IOException ignored) {
            // stopping anyway
        }
    }
}
