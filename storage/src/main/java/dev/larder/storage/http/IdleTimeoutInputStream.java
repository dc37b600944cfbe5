package dev.larder.storage.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body whose every read must make progress within the idle timeout, and that must be
 * read to its end before an overall deadline: a server that sends its headers and then stalls
 * mid-body, or trickles a byte just before each timeout, would otherwise hold a reader for ever.
 * When a read waits longer than the timeout, or the deadline passes, the stream is closed under
 * it (which the JDK client's body stream turns into the end of that read), and the read throws;
 * so does every read after. Not thread-safe, like the stream it wraps.
 */
final class IdleTimeoutInputStream extends FilterInputStream {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        // Serves every session of a process, so it inherits no thread-locals (a daemon session's
        // binding would send its log lines to whichever session happened to start it).
        Thread t = new Thread(null, r, "larder-http-watchdog", 0, false);
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final long deadlineNanos;
    private final Duration total;
    private final String what;
    private volatile String expired;

    /**
     * {@code in}, whose reads each fail after {@code timeout} without data, and which fails once
     * {@code total} has passed since {@code startNanos} (a {@link System#nanoTime()}).
     */
    IdleTimeoutInputStream(InputStream in, Duration timeout, long startNanos, Duration total, String what) {
        super(in);
        this.timeout = timeout;
        this.deadlineNanos = startNanos + total.toNanos();
        this.total = total;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            expire("not read to its end within " + total.toMillis() + " ms");
        }
        if (expired != null) {
            throw new IOException(what + ": " + expired);
        }
        boolean idle = timeout.toNanos() < left;
        ScheduledFuture<?> alarm = WATCHDOG.schedule(() -> expire(idle
                ? "no data for " + timeout.toMillis() + " ms mid-body"
                : "not read to its end within " + total.toMillis() + " ms"), Math.min(timeout.toNanos(), left),
                TimeUnit.NANOSECONDS);
        int n;
        try {
            n = super.read(b, off, len);
        } catch (IOException e) {
            if (expired != null) {
                throw new IOException(what + ": " + expired, e);
            }
            throw e;
        } finally {
            alarm.cancel(false);
        }
        if (expired != null) {
            throw new IOException(what + ": " + expired);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // FilterInputStream would skip on the wrapped stream, outside the timeouts.
        byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        int k = buf.length == 0 ? 0 : read(buf, 0, buf.length);
        return Math.max(k, 0);
    }

    private void expire(String why) {
        if (expired == null) {
            expired = why;
        }
        try {
            in.close();
        } catch (IOException e) {
            // closing is all it can do; the read then ends either way
        }
    }
}
