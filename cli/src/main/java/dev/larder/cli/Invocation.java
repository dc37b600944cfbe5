package dev.larder.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Map;

/**
 * Who asked for the command that is running, and where its streams go: the process's own stdin,
 * stdout, stderr, environment and working directory, or, in the daemon, those of the client whose
 * session this thread serves. Commands read their environment and resolve relative paths through
 * {@link #current()}, never through {@code System.getenv()} or the JVM's working directory, so that
 * one daemon can run many clients' commands at once.
 *
 * <p>The binding is inherited by threads a command starts (its helper's workers); a thread with
 * no binding sees the process's own.
 *
 * @param in   the command's stdin
 * @param out  its stdout (for a helper: the protocol's alone)
 * @param err  its stderr
 * @param env  its environment
 * @param cwd  its working directory, absolute
 */
record Invocation(InputStream in, OutputStream out, PrintStream err, Map<String, String> env, Path cwd) {
    private static final Invocation PROCESS = new Invocation(new FileInputStream(FileDescriptor.in),
            new FileOutputStream(FileDescriptor.out), System.err, System.getenv(),
            Path.of("").toAbsolutePath());
    private static final InheritableThreadLocal<Invocation> CURRENT = new InheritableThreadLocal<>();

    /** The invocation this thread serves: a daemon client's, or the process's own. */
    static Invocation current() {
        Invocation i = CURRENT.get();
        return i != null ? i : PROCESS;
    }

    /** Whether this thread serves a daemon client rather than the process's own command line. */
    static boolean inDaemon() {
        return CURRENT.get() != null;
    }

    /** Work to run bound to an invocation; it may throw what the command it runs throws. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code work} with this invocation bound to the calling thread (and threads it starts),
     * and returns its result or throws what it threw.
     */
    <T, E extends Exception> T bound(Work<T, E> work) throws E {
        Invocation before = CURRENT.get();
        CURRENT.set(this);
        try {
            return work.run();
        } finally {
            CURRENT.set(before);
        }
    }

    /** The same client with stdout sent to its stderr: what a helper runs under, its stdout being the protocol's. */
    Invocation stdoutToStderr() {
        return new Invocation(in, err, err, env, cwd);
    }

    /**
     * A stream that writes to the stdout (or stderr) of whichever invocation the writing thread
     * serves, or to {@code unbound} on threads that serve none: what the daemon installs as
     * {@code System.out} and {@code System.err}.
     */
    static PrintStream routed(boolean stdout, PrintStream unbound) {
        return new PrintStream(new OutputStream() {
            private OutputStream target() {
                Invocation i = CURRENT.get();
                return i == null ? unbound : stdout ? i.out : i.err;
            }

            @Override
            public void write(int b) throws IOException {
                target().write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                target().write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                target().flush();
            }
        }, true, charset());
    }

    /** {@code path} resolved against the invocation's working directory, normalized. */
    Path resolve(Path path) {
        return cwd.resolve(path).normalize();
    }

    /** The value of an environment variable, or null. */
    String getenv(String name) {
        return env.get(name);
    }

    /** The charset text on stdout and stderr is written in. */
    static Charset charset() {
        return Charset.defaultCharset();
    }

    /**
     * Writes {@code text} to the invocation's stdout and flushes it: how commands print their
     * output, so that a failed write is an error of the command (a {@code PrintStream}, such as
     * {@code System.out}, would swallow it).
     *
     * @throws IOException if stdout cannot be written (a full disk, a reader that went away)
     */
    void print(String text) throws IOException {
        write(text.getBytes(charset()));
    }

    /**
     * Writes {@code bytes} to the invocation's stdout and flushes them, as {@link #print}.
     *
     * @throws IOException if stdout cannot be written
     */
    void write(byte[] bytes) throws IOException {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new IOException("cannot write stdout: " + e.getMessage(), e);
        }
    }
}
