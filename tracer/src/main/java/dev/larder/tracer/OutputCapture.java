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

    private OutputCapture(int[] out, int[] err, Path dir) throws IOException {
        this.outWrite = out[1];
        this.errWrite = err[1];
        this.stdout = dir.resolve("stdout");
        this.stderr = dir.resolve("stderr");
        this.outPump = new OutputPump(out[0], new FileOutputStream(FileDescriptor.out),
                new BufferedOutputStream(Files.newOutputStream(stdout)));
        this.errPump = new OutputPump(err[0], new FileOutputStream(FileDescriptor.err),
                new BufferedOutputStream(Files.newOutputStream(stderr)));
        this.outThread = new Thread(outPump, "larder-run-stdout");
        this.errThread = new Thread(errPump, "larder-run-stderr");
    }

    /** Opens the pipes and starts draining them into files in {@code dir}. */
    static OutputCapture start(Path dir) throws IOException {
        int[] out = pipe();
        int[] err;
        try {
            err = pipe();
        } catch (IOException e) {
            Libc.close(out[0]);
            Libc.close(out[1]);
            throw e;
        }
        OutputCapture c = new OutputCapture(out, err, dir);
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

    /** Waits until both pipes are drained and the files closed. */
    void await() {
        RunCache.join(outThread);
        RunCache.join(errThread);
    }

    /** Why a capture file is incomplete, or null; valid after {@link #await()}. */
    IOException failure() {
        return outPump.captureFailure() != null ? outPump.captureFailure() : errPump.captureFailure();
    }

    /** Bytes captured from both pipes; valid after {@link #await()}. */
    long bytes() {
        return outPump.bytes() + errPump.bytes();
    }

    Path stdout() {
        return stdout;
    }

    Path stderr() {
        return stderr;
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
