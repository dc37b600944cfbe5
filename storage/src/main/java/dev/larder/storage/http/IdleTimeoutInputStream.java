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
 * A response body whose every read must make progress within the timeout: a server that sends
 * its headers and then stalls mid-body would otherwise hold a reader until the socket dies. When
 * a read waits longer, the stream is closed under it (which the JDK client's body stream turns
 * into the end of that read), and the read throws. Not thread-safe, like the stream it wraps.
 */
final class IdleTimeoutInputStream extends FilterInputStream {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "larder-http-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final String what;
    private volatile boolean timedOut;

    IdleTimeoutInputStream(InputStream in, Duration timeout, String what) {
        super(in);
        this.timeout = timeout;
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
        ScheduledFuture<?> alarm = WATCHDOG.schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
        int n;
        try {
            n = super.read(b, off, len);
        } catch (IOException e) {
            if (timedOut) {
                throw stalled();
            }
            throw e;
        } finally {
            alarm.cancel(false);
        }
        if (timedOut) {
            throw stalled();
        }
        return n;
    }

    private void expire() {
        timedOut = true;
        try {
            in.close();
        } catch (IOException e) {
            // closing is all it can do; the read then ends either way
        }
    }

    private IOException stalled() {
        return new IOException(what + ": no data for " + timeout.toMillis() + " ms mid-body");
    }
}
