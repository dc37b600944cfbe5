package dev.larder.tracer;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Copies what the traced tree writes to one pipe both to where larder's own output goes (so the
 * user sees it as it comes) and to a capture file (to be stored). Runs on its own thread until
 * every writer has closed the pipe; a failing capture only makes the run uncacheable.
 */
final class OutputPump implements Runnable {
    private final int fd;
    private final OutputStream through;
    private final OutputStream capture;
    private volatile IOException captureFailure;
    private long bytes;

    OutputPump(int fd, OutputStream through, OutputStream capture) {
        this.fd = fd;
        this.through = through;
        this.capture = capture;
    }

    @Override
    public void run() {
        Memory buf = new Memory(64 * 1024);
        byte[] chunk = new byte[64 * 1024];
        try {
            while (true) {
                long n = Libc.read(fd, TraceLoop.addr(buf), chunk.length);
                if (n < 0 && Native.getLastError() == Libc.EINTR) {
                    continue;
                }
                if (n <= 0) {
                    break;
                }
                buf.read(0, chunk, 0, (int) n);
                try {
                    through.write(chunk, 0, (int) n);
                    through.flush();
                } catch (IOException e) {
                    // larder's own stdout is gone (a closed pipe): the tree's output still counts.
                }
                if (captureFailure == null) {
                    try {
                        capture.write(chunk, 0, (int) n);
                        bytes += n;
                    } catch (IOException e) {
                        captureFailure = e;
                    }
                }
            }
        } finally {
            Libc.close(fd);
            try {
                capture.close();
            } catch (IOException e) {
                if (captureFailure == null) {
                    captureFailure = e;
                }
            }
        }
    }

    /** Why the capture is incomplete, or null; valid once the thread has ended. */
    IOException captureFailure() {
        return captureFailure;
    }

    long bytes() {
        return bytes;
    }
}
