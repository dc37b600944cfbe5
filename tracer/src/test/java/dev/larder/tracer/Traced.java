package dev.larder.tracer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/** Test support: traces a real command on a thread of its own, as RunCache does. */
final class Traced {
    private Traced() {
    }

    record Run(TraceLoop.Outcome outcome, Recorder recorder, Recorder.Recording recording) {
    }

    static TraceLoop.Outcome trace(SyscallListener listener, boolean seccomp, String... command) {
        TraceLoop.Outcome[] out = new TraceLoop.Outcome[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(() -> {
            try {
                out[0] = TraceLoop.run(List.of(command), System.getenv(), -1, -1, listener, seccomp,
                        pid -> {
                            if (listener instanceof Recorder r) {
                                r.root(pid);
                            }
                        });
            } catch (IOException e) {
                failure[0] = new UncheckedIOException(e);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "test-tracer");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return out[0];
    }

    /** Runs {@code sh -c script} under a recorder and finishes the recording. */
    static Run record(String script) {
        return record(null, script);
    }

    static Run record(String stdinWatch, String script) {
        Recorder r = new Recorder(new Probe(FileHasher.open(Optional.empty())), stdinWatch);
        TraceLoop.Outcome o = trace(r, true, "sh", "-c", script);
        Recorder.Recording rec = r.uncacheable() == null ? r.finish() : null;
        return new Run(o, r, rec);
    }
}
