package dev.larder.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's wire, between a client (the native bridge, or larder's own Java client) and the
 * daemon, over its Unix socket.
 *
 * <p>The client speaks first: one hello, the four bytes {@code LRDR}, a 4-byte big-endian length,
 * then NUL-terminated strings: the wire version ({@code 1}), the client's build id, its java
 * command, its working directory, the number of arguments and each argument, the number of
 * environment entries and each {@code KEY=VALUE}. After the daemon's {@link #ACCEPTED} frame,
 * everything the client sends is the command's stdin, raw; the client half-closes at its end.
 *
 * <p>The daemon answers in frames: a type byte, a 4-byte big-endian length (at most
 * {@link #MAX_FRAME}), the payload. {@link #ACCEPTED} (empty) or {@link #RETIRING} (a reason)
 * comes first; then {@link #STDOUT} and {@link #STDERR} bytes in the order the command wrote
 * them, and last {@link #EXIT} with the 4-byte big-endian exit status.
 */
final class DaemonWire {
    static final byte[] MAGIC = "LRDR".getBytes(StandardCharsets.US_ASCII);
    static final String VERSION = "1";
    static final byte ACCEPTED = 'A';
    static final byte RETIRING = 'R';
    static final byte STDOUT = 'O';
    static final byte STDERR = 'E';
    static final byte EXIT = 'X';
    static final int MAX_FRAME = 16 << 20;
    /** A hello longer than this is refused: it would be an environment of a megabyte. */
    static final int MAX_HELLO = 4 << 20;

    private DaemonWire() {
    }

    /** What a client asks for: run {@code args} as it would, with its environment, from its directory. */
    record Hello(String version, String build, String java, Path cwd, List<String> args, Map<String, String> env) {
    }

    static void writeHello(OutputStream out, Hello h) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        List<String> parts = new ArrayList<>(List.of(h.version(), h.build(), h.java(), h.cwd().toString(),
                Integer.toString(h.args().size())));
        parts.addAll(h.args());
        parts.add(Integer.toString(h.env().size()));
        h.env().forEach((k, v) -> parts.add(k + "=" + v));
        for (String p : parts) {
            b.write(p.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        ByteBuffer head = ByteBuffer.allocate(8).put(MAGIC).putInt(b.size());
        out.write(head.array());
        b.writeTo(out);
        out.flush();
    }

    /**
     * Reads a client's hello.
     *
     * @return the hello, or null if the client closed without sending one (a liveness probe)
     * @throws IOException if what arrived is not a hello
     */
    static Hello readHello(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[4];
        int first = d.read();
        if (first < 0) {
            return null;
        }
        magic[0] = (byte) first;
        d.readFully(magic, 1, 3);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a larder client: the hello does not start with LRDR");
        }
        int n = d.readInt();
        if (n < 0 || n > MAX_HELLO) {
            throw new IOException("hello of " + n + " bytes: want at most " + MAX_HELLO);
        }
        byte[] body = new byte[n];
        d.readFully(body);
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (body[i] == 0) {
                parts.add(new String(body, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        try {
            int i = 0;
            String version = parts.get(i++);
            String build = parts.get(i++);
            String java = parts.get(i++);
            Path cwd = Path.of(parts.get(i++));
            int argc = Integer.parseInt(parts.get(i++));
            List<String> args = new ArrayList<>(parts.subList(i, i + argc));
            i += argc;
            int envc = Integer.parseInt(parts.get(i++));
            Map<String, String> env = new LinkedHashMap<>();
            for (String kv : parts.subList(i, i + envc)) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            if (!cwd.isAbsolute()) {
                throw new IOException("hello: working directory " + cwd + " is not absolute");
            }
            return new Hello(version, build, java, cwd, args, env);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new IOException("malformed hello: " + e.getMessage(), e);
        }
    }

    /** Writes frames to one client; thread-safe (a frame is written whole). */
    static final class FrameWriter {
        private final OutputStream out;

        FrameWriter(OutputStream out) {
            this.out = out;
        }

        void frame(byte type, byte[] b, int off, int len) throws IOException {
            synchronized (this) {
                while (len > 0 || type != STDOUT && type != STDERR) {
                    int n = Math.min(len, MAX_FRAME);
                    byte[] f = new byte[5 + n];
                    f[0] = type;
                    f[1] = (byte) (n >>> 24);
                    f[2] = (byte) (n >>> 16);
                    f[3] = (byte) (n >>> 8);
                    f[4] = (byte) n;
                    System.arraycopy(b, off, f, 5, n);
                    out.write(f);
                    out.flush();
                    off += n;
                    len -= n;
                    if (type != STDOUT && type != STDERR) {
                        return;
                    }
                }
            }
        }

        void exit(int code) throws IOException {
            frame(EXIT, ByteBuffer.allocate(4).putInt(code).array(), 0, 4);
        }

        /** The frames of one type as a stream: each write becomes a frame. */
        OutputStream stream(byte type) {
            return new ChunkStream() {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len > 0) {
                        frame(type, b, off, len);
                    }
                }
            };
        }
    }

    /** An output stream whose single-byte write is a one-byte chunk write. */
    private abstract static class ChunkStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }

    /** One frame read by a client. */
    record Frame(byte type, byte[] payload) {
        int exitCode() {
            return ByteBuffer.wrap(payload).getInt();
        }
    }

    /** Reads the next frame; null at the end of the stream. */
    static Frame readFrame(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        int n;
        try {
            n = in.readInt();
        } catch (EOFException e) {
            throw new EOFException("frame cut short");
        }
        if (n < 0 || n > MAX_FRAME) {
            throw new IOException("frame of " + n + " bytes: want at most " + MAX_FRAME);
        }
        byte[] p = new byte[n];
        in.readFully(p);
        return new Frame((byte) type, p);
    }

    /**
     * A blocking socket channel's input as a stream. Unlike {@code Channels.newInputStream}, it
     * takes no lock that a concurrent write on the same channel also needs.
     */
    static InputStream in(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                ignoreInterrupt();
                int n;
                do {
                    n = ch.read(ByteBuffer.wrap(b, off, len));
                } while (n == 0);
                return n;
            }
        };
    }

    /**
     * Clears the calling thread's interrupt status: a socket channel is closed by I/O on an
     * interrupted thread, and the client's session must not end because some code on a thread
     * that serves it was interrupted (and kept the status) before it wrote the next reply.
     */
    private static void ignoreInterrupt() {
        if (Thread.interrupted()) {
            LOG.log(System.Logger.Level.DEBUG, "a thread serving a daemon client was interrupted; carrying on");
        }
    }

    private static final System.Logger LOG = System.getLogger("dev.larder.cli");

    /** A blocking socket channel's output as a stream (see {@link #in}). */
    static OutputStream out(SocketChannel ch) {
        return new ChunkStream() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                ignoreInterrupt();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }

            @Override
            public void close() throws IOException {
                ch.shutdownOutput();
            }
        };
    }
}
