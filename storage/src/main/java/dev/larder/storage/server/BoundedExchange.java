package dev.larder.storage.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * One request and its response on a {@link BoundedHttpServer} connection, behind the JDK's
 * {@link HttpExchange} surface (so a handler reads as it would on the JDK's server), with the
 * JDK's length conventions in {@link #sendResponseHeaders}: {@code -1} no body, {@code 0} a body
 * of unknown length (the connection then closes after it), else that many bytes. Unlike the
 * JDK's server, closing it never reads what is left of the request body: a connection whose
 * request body was not read to its end is closed after the response instead. Not thread-safe:
 * one handler thread at a time.
 */
final class BoundedExchange extends HttpExchange {
    private final String method;
    private final URI uri;
    private final String protocol;
    private final Headers requestHeaders;
    private final Headers responseHeaders = new Headers();
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final OutputStream socketOut;
    private final Map<String, Object> attributes = new HashMap<>();
    private final RequestBody requestBody;
    private final LongConsumer responding;
    private InputStream in;
    private OutputStream out;
    private final boolean keepAlive;
    private int code = -1;
    private ResponseBody responseBody;
    private boolean closeAfter;
    private boolean closed;

    /**
     * @param length    the request body's declared length; its bytes are read from {@code socketIn}
     * @param continue100 whether the client waits for {@code 100 Continue} before sending the body
     * @param bodyDone  run once the request body has been read to its end
     * @param responding given the response body's length (0 for none, -1 for unknown) before its headers are written
     */
    BoundedExchange(String method, URI uri, String protocol, Headers requestHeaders, boolean keepAlive,
            InputStream socketIn, long length, boolean continue100, Runnable bodyDone, LongConsumer responding,
            OutputStream socketOut, InetSocketAddress remote, InetSocketAddress local) {
        this.method = method;
        this.uri = uri;
        this.protocol = protocol;
        this.requestHeaders = requestHeaders;
        this.keepAlive = keepAlive;
        this.socketOut = socketOut;
        this.remote = remote;
        this.local = local;
        this.requestBody = new RequestBody(socketIn, length, continue100, bodyDone);
        this.responding = responding;
        this.in = requestBody;
        this.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (responseBody == null) {
                    throw new IOException("response body written before its headers");
                }
                responseBody.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                if (responseBody != null) {
                    responseBody.flush();
                }
            }

            @Override
            public void close() throws IOException {
                if (responseBody != null) {
                    responseBody.close();
                }
            }
        };
    }

    @Override
    public Headers getRequestHeaders() {
        return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return uri;
    }

    @Override
    public String getRequestMethod() {
        return method;
    }

    /** None: the server has one handler for every path. */
    @Override
    public HttpContext getHttpContext() {
        return null;
    }

    @Override
    public InputStream getRequestBody() {
        return in;
    }

    @Override
    public OutputStream getResponseBody() {
        return out;
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
        if (code != -1) {
            throw new IOException("response headers already sent");
        }
        if (rCode < 200 || rCode > 999) {
            throw new IllegalArgumentException("status " + rCode + ": want a final status, 200 to 999");
        }
        code = rCode;
        long length;
        if (method.equals("HEAD") || rCode == 204 || rCode == 304) {
            length = 0; // no body; a HEAD's handler may set the Content-Length a GET would have
        } else if (responseLength == 0) {
            length = -1;
            closeAfter = true; // unknown length: the end of the connection ends the body
        } else {
            length = Math.max(responseLength, 0);
            responseHeaders.set("Content-Length", Long.toString(length));
        }
        if (!keepAlive || requestBody.left()) {
            // A body not read to its end is not drained: the connection closes after this response.
            closeAfter = true;
        }
        if (closeAfter) {
            responseHeaders.set("Connection", "close");
        }
        responseHeaders.set("Date", DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(rCode).append(' ').append(reason(rCode)).append("\r\n");
        for (Map.Entry<String, List<String>> e : responseHeaders.entrySet()) {
            for (String v : e.getValue()) {
                h.append(e.getKey()).append(": ").append(v).append("\r\n");
            }
        }
        h.append("\r\n");
        responding.accept(length);
        socketOut.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        responseBody = new ResponseBody(socketOut, length);
        if (length == 0) {
            socketOut.flush();
        }
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return remote;
    }

    @Override
    public int getResponseCode() {
        return code;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return local;
    }

    @Override
    public String getProtocol() {
        return protocol;
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        attributes.put(name, value);
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
        if (i != null) {
            in = i;
        }
        if (o != null) {
            out = o;
        }
    }

    /** None: the handler checks credentials itself. */
    @Override
    public HttpPrincipal getPrincipal() {
        return null;
    }

    /** Ends the response (flushing it); the request body is left as it is. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (responseBody != null) {
                responseBody.close();
            }
        } catch (IOException e) {
            closeAfter = true;
        }
    }

    /**
     * Whether the connection can carry another request: the response was sent whole and
     * delimited, the request body was read to its end, and neither side asked to close.
     */
    boolean reusable() {
        return closed && responseBody != null && responseBody.complete() && !closeAfter && !requestBody.left();
    }

    /** Whether part of the request body was never read. */
    boolean bodyLeft() {
        return requestBody.left();
    }

    /** The reason phrase sent with {@code code}. */
    static String reason(int code) {
        switch (code) {
            case 200: return "OK";
            case 201: return "Created";
            case 204: return "No Content";
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 411: return "Length Required";
            case 413: return "Content Too Large";
            case 431: return "Request Header Fields Too Large";
            case 500: return "Internal Server Error";
            case 505: return "HTTP Version Not Supported";
            case 503: return "Service Unavailable";
            default: return "Status";
        }
    }

    /** The request body: {@code length} bytes of the connection, after a {@code 100 Continue} if one is awaited. */
    private final class RequestBody extends InputStream {
        private final InputStream socketIn;
        private long remaining;
        private boolean continue100;
        private final Runnable done;

        RequestBody(InputStream socketIn, long length, boolean continue100, Runnable done) {
            this.socketIn = socketIn;
            this.remaining = length;
            this.continue100 = continue100 && length > 0;
            this.done = done;
            if (length == 0) {
                done.run();
            }
        }

        boolean left() {
            return remaining > 0;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            if (continue100) {
                continue100 = false;
                if (code == -1) {
                    socketOut.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    socketOut.flush();
                }
            }
            int n = socketIn.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new IOException("request body: the client closed with " + remaining + " bytes still to come");
            }
            remaining -= n;
            if (remaining == 0) {
                done.run();
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(socketIn.available(), remaining);
        }
    }

    /** The response body: exactly {@code length} bytes, or, for -1, as many as are written before the connection closes. */
    private static final class ResponseBody {
        private final OutputStream socketOut;
        private final long length;
        private long written;
        private boolean closed;

        ResponseBody(OutputStream socketOut, long length) {
            this.socketOut = socketOut;
            this.length = length;
        }

        void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("response body already closed");
            }
            if (length >= 0 && written + len > length) {
                throw new IOException("response body: " + (written + len) + " bytes written, " + length + " declared");
            }
            socketOut.write(b, off, len);
            written += len;
        }

        void flush() throws IOException {
            socketOut.flush();
        }

        void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            socketOut.flush();
            if (!complete()) {
                throw new IOException("response body: " + written + " bytes written, " + length + " declared");
            }
        }

        boolean complete() {
            return closed && (length < 0 || written == length);
        }
    }
}
