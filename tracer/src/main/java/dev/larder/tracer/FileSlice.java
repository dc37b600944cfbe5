package dev.larder.tracer;

import dev.larder.protocol.OutputId;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * {@code size} bytes of {@code file} from offset {@code from}: what an appending writer added to
 * a file that was there before (see {@link Recorder}), or a whole file ({@code from} 0). Reading
 * stops after {@code size} bytes, so what others append to a shared file later is not part of it.
 */
record FileSlice(Path file, long from, long size) {
    FileSlice {
        if (from < 0 || size < 0) {
            throw new IllegalArgumentException("slice of " + file + " from " + from + ", " + size + " bytes");
        }
    }

    /**
     * A stream of the slice's bytes, to be closed by the caller. It ends early, without an
     * error, if the file no longer holds them all: a put of it then declares more bytes than
     * it sends, which the cache refuses while the session stays framed.
     *
     * @throws IOException if the file cannot be opened
     */
    InputStream open() throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            channel.position(from);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new Bounded(Channels.newInputStream(channel), size);
    }

    /**
     * The SHA-256 of the slice's bytes, read once.
     *
     * @throws IOException if they cannot all be read (the file shrank)
     */
    OutputId sha256() throws IOException {
        MessageDigest md = DigestUtils.getSha256Digest();
        byte[] buf = new byte[64 * 1024];
        long read = 0;
        try (InputStream in = open()) {
            for (int n; (n = in.read(buf)) > 0; read += n) {
                md.update(buf, 0, n);
            }
        }
        if (read != size) {
            throw new EOFException(file + " holds " + read + " bytes from offset " + from + ", not the " + size
                    + " it held");
        }
        return new OutputId(md.digest());
    }

    /** At most {@code left} bytes of {@code in}. */
    private static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long left) {
            super(in);
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(Math.min(n, left));
            left -= skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), left);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
