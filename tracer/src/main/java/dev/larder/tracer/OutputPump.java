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
    private final int wake;
    private final OutputStream through;
    private final OutputStream capture;
    private volatile IOException captureFailure;
    private long bytes;

    /**
     * @param fd   the pipe's read end (closed when the pump ends)
     * @param wake a descriptor that becomes readable when the pump is to stop as soon as
     *             {@code fd} has nothing to read (not closed by the pump)
     */
    OutputPump(int fd, int wake, OutputStream through, OutputStream capture) {
        this.fd = fd;
        this.wake = wake;
        this.through = through;
        this.capture = capture;
    }

    @Override
    public void run() {
        Memory buf = new Memory(64 * 1024);
        byte[] chunk = new byte[64 * 1024];
        // struct pollfd[2]: {int fd; short events; short revents;}, the pipe then the wake-up.
        Memory fds = new Memory(16);
        fds.setInt(0, fd);
        fds.setShort(4, (short) Libc.POLLIN);
        fds.setInt(8, wake);
        fds.setShort(12, (short) Libc.POLLIN);
        try {
            while (true) {
                fds.setShort(6, (short) 0);
                fds.setShort(14, (short) 0);
                if (Libc.poll(TraceLoop.addr(fds), 2, -1) < 0) {
                    if (Native.getLastError() == Libc.EINTR) {
                        continue;
                    }
                    break;
                }
                if (fds.getShort(6) == 0) {
                    if (fds.getShort(14) != 0) {
                        break; // told to stop, and the pipe is empty
                    }
                    continue;
                }
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
