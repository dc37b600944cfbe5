package dev.larder.tracer;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The traced tree's stdout and stderr: two close-on-exec pipes whose write ends become the
 * tree's fds 1 and 2, each drained by an {@link OutputPump} thread into a file ({@code stdout},
 * {@code stderr} in the capture directory) while passed through to larder's own stdout and
 * stderr. Made, waited for and read by one thread.
 */
final class OutputCapture {
    private final int outWrite;
    private final int errWrite;
    private final Path stdout;
    private final Path stderr;
    private final OutputPump outPump;
    private final OutputPump errPump;
    private final Thread outThread;
    private final Thread errThread;
    /** A pipe made readable to tell the pumps to stop once their pipe is empty. */
    private final int[] wake;
    private final Memory wakeByte = new Memory(1);

    private OutputCapture(int[] out, int[] err, int[] wake, Path dir) throws IOException {
        this.wake = wake;
        this.wakeByte.setByte(0, (byte) 1);
        this.outWrite = out[1];
        this.errWrite = err[1];
        this.stdout = dir.resolve("stdout");
        this.stderr = dir.resolve("stderr");
        this.outPump = new OutputPump(out[0], wake[0], new FileOutputStream(FileDescriptor.out),
                new BufferedOutputStream(Files.newOutputStream(stdout)));
        this.errPump = new OutputPump(err[0], wake[0], new FileOutputStream(FileDescriptor.err),
                new BufferedOutputStream(Files.newOutputStream(stderr)));
        this.outThread = new Thread(outPump, "larder-run-stdout");
        this.errThread = new Thread(errPump, "larder-run-stderr");
    }

    /** Opens the pipes and starts draining them into files in {@code dir}. */
    static OutputCapture start(Path dir) throws IOException {
        int[] out = pipe();
        int[] err;
        int[] wake;
        try {
            err = pipe();
        } catch (IOException e) {
            closeBoth(out);
            throw e;
        }
        try {
            wake = pipe();
        } catch (IOException e) {
            closeBoth(out);
            closeBoth(err);
            throw e;
        }
        OutputCapture c = new OutputCapture(out, err, wake, dir);
        c.outThread.start();
        c.errThread.start();
        return c;
    }

    /** The write end the tree gets as its stdout. */
    int outWrite() {
        return outWrite;
    }

    /** The write end the tree gets as its stderr. */
    int errWrite() {
        return errWrite;
    }

    /** Closes larder's copies of the write ends, so the pumps end once the tree has closed its own. */
    void closeWriteEnds() {
        Libc.close(outWrite);
        Libc.close(errWrite);
    }

    /**
     * Waits until both pipes are drained and the files closed: until every writer has closed
     * them, or, if {@code leftRunning} (the command ended but processes it started still hold
     * the pipes), until what was written so far has been read. Those processes then get EPIPE
     * (or SIGPIPE) if they write to stdout or stderr later.
     */
    void await(boolean leftRunning) {
        if (leftRunning) {
            Libc.write(wake[1], TraceLoop.addr(wakeByte), 1);
        }
        RunCache.join(outThread);
        RunCache.join(errThread);
        Libc.close(wake[0]);
        Libc.close(wake[1]);
    }

    /** Why a capture file is incomplete, or null; valid after {@link #await(boolean)}. */
    IOException failure() {
        return outPump.captureFailure() != null ? outPump.captureFailure() : errPump.captureFailure();
    }

    /** Bytes captured from both pipes; valid after {@link #await(boolean)}. */
    long bytes() {
        return outPump.bytes() + errPump.bytes();
    }

    Path stdout() {
        return stdout;
    }

    Path stderr() {
        return stderr;
    }

    private static void closeBoth(int[] fds) {
        Libc.close(fds[0]);
        Libc.close(fds[1]);
    }

    /** A close-on-exec pipe: {read end, write end}. */
    private static int[] pipe() throws IOException {
        Memory fds = new Memory(8);
        if (Libc.pipe2(TraceLoop.addr(fds), Libc.O_CLOEXEC) != 0) {
            throw new IOException("pipe2 failed: errno " + Native.getLastError());
        }
        return new int[] {fds.getInt(0), fds.getInt(4)};
    }
}
