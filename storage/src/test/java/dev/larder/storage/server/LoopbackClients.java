package dev.larder.storage.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Raw client sockets on loopback for the server tests, each read bounded by 30 s (a bound on
 * the test, not a claim about the server), all closed by {@link #close()}. Thread-safe.
 */
final class LoopbackClients implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();

    /** A socket connected to {@code port}. */
    Socket connect(int port) throws IOException {
        return connect(port, 0);
    }

    /** A socket connected to {@code port}, with a receive buffer of {@code receiveBuffer} bytes (0: the default). */
    Socket connect(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        synchronized (sockets) {
            sockets.add(s);
        }
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        s.setSoTimeout(30_000);
        return s;
    }

    static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** Everything the server sends on {@code s} until it closes it. */
    static String readToEnd(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), ISO_8859_1);
    }

    /** The status line and headers of the next response on {@code s} (what came before the end, if it closed first), without its body. */
    static String head(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.write(c);
        }
        return b.toString(ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
