package dev.larder.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (Debian's package) serving a WebDAV root on loopback: GET and HEAD read files,
 * PUT writes them (creating directories), optionally only with a bearer token. Started in the
 * foreground as the test's own user, with every file under one directory.
 */
final class Nginx implements AutoCloseable {
    private final Process process;
    private final Path root;
    private final int port;
    private final Path dir;

    private Nginx(Process process, Path root, int port, Path dir) {
        this.process = process;
        this.root = root;
        this.port = port;
        this.dir = dir;
    }

    /** The nginx binary, or the test is skipped (failed under {@code LARDER_REQUIRE_NGINX=1}). */
    static Path binary() {
        for (String d : new String[] {"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"}) {
            Path p = Path.of(d, "nginx");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        if ("1".equals(System.getenv("LARDER_REQUIRE_NGINX"))) {
            throw new AssertionError("nginx is not installed, and LARDER_REQUIRE_NGINX=1 says this test must run "
                    + "(apt-get install nginx-light)");
        }
        assumeTrue(false, "nginx is not installed (apt-get install nginx-light): the WebDAV remote cannot run");
        return null;
    }

    /** Starts nginx with its config, logs and DAV root under {@code dir}; PUT needs {@code token} if given. */
    static Nginx start(Path dir, Optional<String> token) throws IOException, InterruptedException {
        Path nginx = binary();
        Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(dir.resolve("tmp"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String auth = token.map(t -> """
                        set $deny "";
                        if ($request_method = PUT) { set $deny "P"; }
                        if ($http_authorization != "Bearer %s") { set $deny "${deny}A"; }
                        if ($deny = PA) { return 401; }
                """.formatted(t)).orElse("");
        String conf = """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 256; }
                http {
                    access_log %1$s/access.log;
                    client_body_temp_path %1$s/tmp/body;
                    proxy_temp_path %1$s/tmp/proxy;
                    fastcgi_temp_path %1$s/tmp/fastcgi;
                    uwsgi_temp_path %1$s/tmp/uwsgi;
                    scgi_temp_path %1$s/tmp/scgi;
                    server {
                        listen 127.0.0.1:%2$d;
                        root %1$s/root;
                        client_max_body_size 1g;
                        location / {
                %3$s
                            dav_methods PUT;
                            create_full_put_path on;
                            dav_access user:rw;
                        }
                    }
                }
                """.formatted(dir, port, auth);
        Path file = Files.writeString(dir.resolve("nginx.conf"), conf, UTF_8);
        Process p = new ProcessBuilder(nginx.toString(), "-p", dir.toString(), "-c", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        Nginx n = new Nginx(p, dir.resolve("root"), port, dir);
        n.awaitListening();
        return n;
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new IOException("nginx did not start listening on " + port + ": "
                            + Files.readString(dir.resolve("stdout.log")) + Files.readString(dir.resolve("error.log")), e);
                }
                // nginx has not bound yet: it is starting; ask again.
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }
        }
    }

    String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** The DAV root: {@code ac/} and {@code cas/} appear here. */
    Path root() {
        return root;
    }

    /** Stops nginx (SIGKILL; nothing of it is needed after a test). */
    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
