package dev.larder.tracer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While a traced command runs, SIGINT, SIGTERM and SIGHUP sent to larder are passed to the
 * command instead of ending the JVM (whose exit would SIGKILL the tree: PTRACE_O_EXITKILL), so
 * that make deletes its half-written target and shell traps run; larder then waits for the
 * command as usual. The first signal received is remembered: the run is not recorded.
 *
 * <p>Where a signal goes, as a shell's job control has it: a SIGINT while larder is in the
 * foreground process group of its terminal came from the terminal (Ctrl-C), which has already
 * sent it to the whole group, the command included, so it is not sent again; any other signal
 * (a {@code kill} of larder's pid) is sent to the command's root process. Opened and closed by
 * the thread that runs the command; the handlers run on the JVM's signal thread.
 */
final class SignalForwarding implements AutoCloseable {
    private static final List<String> SIGNALS = List.of("INT", "TERM", "HUP");

    private final AtomicInteger root = new AtomicInteger();
    private final AtomicInteger received = new AtomicInteger();
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private SignalForwarding() {
    }

    /** Installs the handlers; {@link #close} puts the previous ones back. */
    static SignalForwarding install() {
        SignalForwarding f = new SignalForwarding();
        for (String name : SIGNALS) {
            Signal s = new Signal(name);
            try {
                f.previous.add(Signal.handle(s, f::handle));
                f.signals.add(s);
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal (-Xrs, or already used): it ends the run as before.
            }
        }
        return f;
    }

    /** The command's root process, once spawned: signals go to it from now on. */
    void root(int pid) {
        root.set(pid);
    }

    /** The first signal received (its number), or 0 if none was. */
    int received() {
        return received.get();
    }

    private void handle(Signal s) {
        received.compareAndSet(0, s.getNumber());
        int pid = root.get();
        if (pid <= 0 || s.getNumber() == Libc.SIGINT && Libc.inForegroundOfTerminal()) {
            return;
        }
        Libc.kill(pid, s.getNumber());
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
    }
}
