package dev.larder.storage.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpHandler;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A small HTTP/1.1 server (keep-alive, {@code Content-Length} bodies, {@code Expect:
 * 100-continue}) whose every connection is bounded by {@link ConnectionSettings}, for {@code
 * larder serve}. The JDK's {@code com.sun.net.httpserver} reads request headers on its worker
 * threads with no deadline and drains refused bodies, so a few connections that never finish
 * their headers stop it answering anyone; here each connection has its own thread, up to
 * {@link ConnectionSettings#maxConnections()}: past it, the connection that has waited longest
 * for its next request is closed to make room, and only when none is waiting is the newcomer
 * answered 503 and closed. A watchdog closes a connection that waits too long for a request,
 * takes too long over its headers, its body or its response, or makes no progress on a read or
 * a write for the idle timeout; a response closed so is reset, so its unsent bytes are dropped.
 * A request body the handler did not read is never drained: the connection is closed after the
 * response. A chunked request body is not supported (the handler sees no body and the connection
 * closes after the response). Thread-safe.
 */
final class BoundedHttpServer implements AutoCloseable {
    private static final int MAX_LINE = 8 * 1024;
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_HEADERS = 100;
    /** The longest a closing connection keeps reading (and discarding) what the client still sends. */
    private static final long LINGER_NANOS = Duration.ofSeconds(2).toNanos();
    private static final int LINGER_BYTES = 64 * 1024;
    /** How long the accept thread waits after a failure before it accepts again. */
    private static final long ACCEPT_RETRY_MILLIS = 100;
    private static final long COMPLAINT_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

    private final ServerSocket listener;
    private final ConnectionSettings settings;
    private final HttpHandler handler;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;
    private final long t0 = System.nanoTime();
    private volatile boolean closing;
    /** When the accept thread last wrote to stderr, in {@link #now()} nanoseconds; MIN_VALUE for never. */
    private long lastComplaint = Long.MIN_VALUE;

    private BoundedHttpServer(ServerSocket listener, ConnectionSettings settings, HttpHandler handler) {
        this.listener = listener;
        this.settings = settings;
        this.handler = handler;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "larder-serve-watchdog", 0));
    }

    /** Listens on {@code address} and serves every request with {@code handler}, until {@link #close()}. */
    static BoundedHttpServer start(InetSocketAddress address, int backlog, ConnectionSettings settings,
            HttpHandler handler) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        try {
            listener.bind(address, backlog);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        return serve(listener, settings, handler);
    }

    /** Serves every connection {@code listener} (bound) accepts with {@code handler}, until {@link #close()}, which closes it. */
    static BoundedHttpServer serve(ServerSocket listener, ConnectionSettings settings, HttpHandler handler) {
        BoundedHttpServer s = new BoundedHttpServer(listener, settings, handler);
        long tick = Math.max(10, Math.min(250, Math.min(settings.idleTimeout().toMillis(),
                settings.headerTimeout().toMillis()) / 4));
        s.watchdog.scheduleWithFixedDelay(s::expire, tick, tick, TimeUnit.MILLISECONDS);
        daemon(s::accept, "larder-serve-accept", 0).start();
        return s;
    }

    /** The port it listens on. */
    int port() {
        return listener.getLocalPort();
    }

    /** The connections open now. */
    int connections() {
        return open.size();
    }

    /** The connections open now that wait for their next (or first) request. */
    int waiting() {
        return (int) open.stream().filter(c -> c.waiting).count();
    }

    /**
     * Stops accepting, closes connections waiting for a request, lets requests in progress finish
     * (up to 5 s), then closes every connection.
     */
    @Override
    public void close() {
        closing = true;
        closeQuietly(listener);
        long stop = now() + TimeUnit.SECONDS.toNanos(5);
        for (Connection c : open) {
            c.evict();
        }
        while (!open.isEmpty() && now() < stop) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Connection c : open) {
            c.abort();
        }
        watchdog.shutdownNow();
    }

    private long now() {
        return System.nanoTime() - t0;
    }

    /** The accept thread: nothing it meets ends it but {@link #close()}. */
    private void accept() {
        while (!closing) {
            Socket s;
            try {
                s = listener.accept();
            } catch (Throwable e) {
                if (closing) {
                    return;
                }
                // e.g. too many open files: the listener is still good, but accept fails at once
                // until a descriptor is freed, so wait a little rather than spin.
                complain("accept failed", e);
                pause();
                continue;
            }
            try {
                admit(s);
            } catch (Throwable e) {
                closeQuietly(s);
                complain("could not serve a connection", e);
                pause();
            }
        }
    }

    /** Gives {@code s} a thread, after making room for it if need be, or answers 503. */
    private void admit(Socket s) {
        if (open.size() >= settings.maxConnections() && !evictLongestIdle()) {
            refuse(s);
            return;
        }
        Connection c = new Connection(s);
        open.add(c);
        try {
            daemon(c, "larder-serve", 0).start();
        } catch (Throwable e) {
            open.remove(c);
            refuse(s);
            throw e;
        }
    }

    /**
     * Closes the connection that has waited longest for its next request (never one in the middle
     * of a request or its response); whether there was one. Idle keep-alive connections would
     * otherwise hold every place: one client that sends a request now and then on each of them
     * would keep everyone else out.
     */
    private boolean evictLongestIdle() {
        for (int attempt = 0; attempt < 3; attempt++) {
            Connection oldest = null;
            for (Connection c : open) {
                if (c.waiting && (oldest == null || c.idleSince - oldest.idleSince < 0)) {
                    oldest = c;
                }
            }
            if (oldest == null) {
                return false;
            }
            if (oldest.evict()) {
                open.remove(oldest);
                return true;
            }
            // its next request began meanwhile: look again
        }
        return false;
    }

    /** One line on stderr, at most every few seconds, so that a failure repeated at once does not flood it. */
    private void complain(String what, Throwable e) {
        long now = now();
        if (now - lastComplaint >= COMPLAINT_INTERVAL_NANOS || lastComplaint == Long.MIN_VALUE) {
            lastComplaint = now;
            System.err.println("larder serve: " + what + ": " + e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(ACCEPT_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Answers 503 without reading the request, and closes. */
    private static void refuse(Socket s) {
        try (s) {
            s.getOutputStream().write(("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n"
                    + "Retry-After: 1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    /** The watchdog's round: closes every connection past a deadline. */
    private void expire() {
        long now = now();
        for (Connection c : open) {
            if (now >= c.deadline || now >= c.ioDeadline) {
                c.expire();
            }
        }
    }

    private static Thread daemon(Runnable r, String name, long stack) {
        Thread t = new Thread(null, r, name, stack);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is all that is left to do
        }
    }

    /** A request the server answers itself, before any handler, and then closes the connection. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** One client connection and its thread; deadlines are in {@link #now()} nanoseconds, MAX_VALUE for none. */
    private final class Connection implements Runnable {
        private final Socket socket;
        volatile long deadline = Long.MAX_VALUE;
        volatile long ioDeadline = Long.MAX_VALUE;
        /** Whether it waits for its next (or first) request, since {@link #idleSince}; changed under its lock. */
        volatile boolean waiting = true;
        volatile long idleSince = now();
        private boolean evicted;
        /** Whether a response is being written, since {@link #responseStart}; for the watchdog. */
        private volatile boolean responding;
        private long responseStart;
        /** A response of unknown length: its deadline grows with what is written, {@link #responseSent} bytes. */
        private boolean openEnded;
        private long responseSent;
        private InputStream in;
        private OutputStream out;

        Connection(Socket socket) {
            this.socket = socket;
        }

        void abort() {
            closeQuietly(socket);
        }

        /** Closes it past a deadline; a response cut short is reset, so its unsent bytes are dropped rather than delivered. */
        void expire() {
            if (responding) {
                try {
                    socket.setSoLinger(true, 0);
                } catch (IOException ignored) {
                    // already closed
                }
            }
            abort();
        }

        /** Marks it waiting for its next request, from now. */
        private synchronized void idle() {
            waiting = true;
            idleSince = now();
        }

        /** Claims it for a request whose first byte arrived; false when it was evicted first. */
        private synchronized boolean busy() {
            if (evicted) {
                return false;
            }
            waiting = false;
            return true;
        }

        /** Closes it if it is waiting for a request; whether it did. */
        synchronized boolean evict() {
            if (!waiting || evicted) {
                return false;
            }
            evicted = true;
            abort();
            return true;
        }

        /** Lifts the body's deadline once it has arrived whole; the handler's own work has none, its response has its own. */
        private void bodyRead() {
            if (!responding) {
                deadline = Long.MAX_VALUE;
            }
        }

        /**
         * Starts the response's deadline: {@code length} bytes (-1: as many as are written) must be
         * written within {@link ConnectionSettings#bodyTimeout(long)} of now, as a request body must arrive.
         */
        private void responding(long length) {
            responseStart = now();
            openEnded = length < 0;
            responseSent = 0;
            deadline = responseStart + settings.bodyTimeout(Math.max(length, 0)).toNanos();
            responding = true;
        }

        @Override
        public void run() {
            try {
                socket.setTcpNoDelay(true);
                in = new BufferedInputStream(new MeteredIn(socket.getInputStream()), 16 * 1024);
                out = new BufferedOutputStream(new MeteredOut(socket.getOutputStream()), 64 * 1024);
                while (!closing && exchange()) {
                    // the next request on this connection
                }
            } catch (IOException | RuntimeException e) {
                // the client went away, or a deadline closed the socket
            } finally {
                closeQuietly(socket);
                open.remove(this);
            }
        }

        /** Serves one request; whether the connection can carry another. */
        private boolean exchange() throws IOException {
            responding = false;
            idle();
            deadline = now() + settings.idleTimeout().toNanos();
            int first = in.read();
            while (first == '\r' || first == '\n') {
                first = in.read(); // RFC 9112 2.2: empty lines before a request line are ignored
            }
            if (first < 0 || !busy()) {
                return false;
            }
            deadline = now() + settings.headerTimeout().toNanos();
            BoundedExchange x;
            try {
                x = parse(first);
            } catch (BadRequest e) {
                deadline = now() + settings.idleTimeout().toNanos();
                byte[] body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 " + e.status + " " + BoundedExchange.reason(e.status) + "\r\nConnection: close\r\nContent-Type: text/plain; "
                        + "charset=utf-8\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
                linger();
                return false;
            }
            try {
                handler.handle(x);
            } finally {
                x.close();
            }
            out.flush();
            responding = false; // written whole: a deadline from here on must not reset what the kernel still sends
            if (x.reusable() && !closing) {
                return true;
            }
            if (x.bodyLeft()) {
                linger();
            }
            return false;
        }

        /**
         * Half-closes, then reads and drops what the client still sends for a moment: closing a
         * socket with unread bytes would reset the connection, and the client could lose the
         * response it has not read yet. Bounded in bytes and time, so no body is drained.
         */
        private void linger() {
            try {
                socket.shutdownOutput();
                deadline = now() + Math.min(LINGER_NANOS, settings.idleTimeout().toNanos());
                byte[] buf = new byte[8192];
                long n = 0;
                while (n < LINGER_BYTES) {
                    int k = in.read(buf);
                    if (k < 0) {
                        return;
                    }
                    n += k;
                }
            } catch (IOException ignored) {
                // the deadline closed it, or the client did
            }
        }

        private BoundedExchange parse(int first) throws IOException, BadRequest {
            int[] budget = {MAX_HEADER_BYTES};
            String line = (char) first + line(budget);
            String[] parts = line.split(" ", -1);
            if (parts.length != 3) {
                throw new BadRequest(400, "bad request line: want METHOD TARGET HTTP/1.1");
            }
            String method = parts[0];
            String version = parts[2];
            if (!TOKEN.matcher(method).matches()) {
                throw new BadRequest(400, "bad request line: the method is not a token");
            }
            if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
                throw new BadRequest(505, "HTTP version not supported: want HTTP/1.1 or HTTP/1.0");
            }
            URI uri;
            try {
                uri = new URI(parts[1]);
            } catch (URISyntaxException e) {
                throw new BadRequest(400, "bad request target: " + e.getReason());
            }
            if (uri.getRawPath() == null || !uri.getRawPath().startsWith("/")) {
                throw new BadRequest(400, "bad request target: want a path starting with /");
            }
            Headers headers = new Headers();
            int count = 0;
            while (true) {
                String h = line(budget);
                if (h.isEmpty()) {
                    break;
                }
                if (++count > MAX_HEADERS) {
                    throw new BadRequest(431, "more than " + MAX_HEADERS + " request headers");
                }
                int colon = h.indexOf(':');
                if (colon < 1 || !TOKEN.matcher(h.substring(0, colon)).matches()) {
                    throw new BadRequest(400, "bad header line: want NAME: VALUE");
                }
                String value = h.substring(colon + 1).strip();
                for (int i = 0; i < value.length(); i++) {
                    char c = value.charAt(i);
                    if (c < 0x20 && c != '\t' || c == 0x7f) {
                        throw new BadRequest(400, "bad header value: a control character");
                    }
                }
                headers.add(h.substring(0, colon), value);
            }
            List<String> lengths = headers.get("Content-length");
            boolean chunked = headers.containsKey("Transfer-encoding");
            long length = 0;
            if (lengths != null) {
                if (chunked) {
                    throw new BadRequest(400, "both Content-Length and Transfer-Encoding");
                }
                for (String l : lengths) {
                    if (!DIGITS.matcher(l).matches() || lengths.size() > 1 && !l.equals(lengths.get(0))) {
                        throw new BadRequest(400, "bad Content-Length: want one number of bytes");
                    }
                }
                length = Long.parseLong(lengths.get(0));
            }
            String connection = headers.getFirst("Connection");
            boolean keepAlive = version.equals("HTTP/1.1") && !chunked
                    && (connection == null || !connection.toLowerCase(Locale.ROOT).contains("close"));
            String expect = headers.getFirst("Expect");
            boolean continue100 = expect != null && expect.equalsIgnoreCase("100-continue") && version.equals("HTTP/1.1");
            long bodyDeadline = length == 0 ? Long.MAX_VALUE : now() + settings.bodyTimeout(length).toNanos();
            deadline = bodyDeadline;
            InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
            InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
            if (remote == null || local == null) {
                throw new SocketException("closed");
            }
            // A chunked body is not read (the handler sees none): the connection closes after the response.
            return new BoundedExchange(method, uri, version, headers, keepAlive, in, length, continue100,
                    this::bodyRead, this::responding, out, remote, local);
        }

        /** One header line without its CRLF (or bare LF), ISO-8859-1, taken from {@code budget}. */
        private String line(int[] budget) throws IOException, BadRequest {
            StringBuilder b = new StringBuilder();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    throw new SocketException("the client closed mid-headers");
                }
                if (--budget[0] < 0) {
                    throw new BadRequest(431, "request headers longer than " + MAX_HEADER_BYTES + " bytes");
                }
                if (c == '\n') {
                    int end = b.length();
                    if (end > 0 && b.charAt(end - 1) == '\r') {
                        b.setLength(end - 1);
                    }
                    return b.toString();
                }
                if (b.length() >= MAX_LINE) {
                    throw new BadRequest(431, "a request line or header longer than " + MAX_LINE + " bytes");
                }
                b.append((char) c);
            }
        }

        /** The socket's input, each read of it under the idle timeout. */
        private final class MeteredIn extends FilterInputStream {
            MeteredIn(InputStream in) {
                super(in);
            }

            @Override
            public int read() throws IOException {
                ioDeadline = now() + settings.idleTimeout().toNanos();
                try {
                    return super.read();
                } finally {
                    ioDeadline = Long.MAX_VALUE;
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                ioDeadline = now() + settings.idleTimeout().toNanos();
                try {
                    return super.read(b, off, len);
                } finally {
                    ioDeadline = Long.MAX_VALUE;
                }
            }
        }

        /** The socket's output, each write of it under the idle timeout. */
        private final class MeteredOut extends FilterOutputStream {
            MeteredOut(OutputStream out) {
                super(out);
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ioDeadline = now() + settings.idleTimeout().toNanos();
                if (openEnded) {
                    responseSent += len;
                    deadline = responseStart + settings.bodyTimeout(responseSent).toNanos();
                }
                try {
                    out.write(b, off, len);
                } finally {
                    ioDeadline = Long.MAX_VALUE;
                }
            }
        }
    }
}
