package dev.larder.conformance;

import dev.larder.protocol.ActionId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a check body works with: the settings, fresh helper sessions (ended for it when the check
 * is over), the run's log, and fresh ids and bodies that no other check uses, since every check
 * of a run shares the helper's store.
 */
final class CheckContext {
    private final Settings settings;
    private final Check check;
    private final RunLog log;
    private final List<HelperSession> sessions = new ArrayList<>();
    private int bodies;

    CheckContext(Settings settings, Check check, RunLog log) {
        this.settings = settings;
        this.check = check;
        this.log = log;
    }

    Settings settings() {
        return settings;
    }

    RunLog log() {
        return log;
    }

    /** A fresh helper process; nothing is awaited. */
    HelperSession start() throws CheckFailure {
        HelperSession s = HelperSession.start(settings.command(), check.id(), settings.timeout(), log);
        synchronized (sessions) {
            sessions.add(s);
        }
        return s;
    }

    /** A fresh helper process past a valid handshake. */
    HelperSession open() throws CheckFailure, InterruptedException {
        HelperSession s = start();
        s.handshake();
        return s;
    }

    /** A random action id: no other check (or earlier run on the same store) uses it. */
    ActionId newAction() {
        byte[] b = new byte[ActionId.LENGTH];
        ThreadLocalRandom.current().nextBytes(b);
        return new ActionId(b);
    }

    /**
     * A short printable body unique to this check and call. Bodies stay ASCII text everywhere but
     * in the checks about byte values, so that each of those failures points at one check.
     */
    byte[] textBody() {
        byte[] nonce = new byte[8];
        ThreadLocalRandom.current().nextBytes(nonce);
        return ("larder conformance " + check.id() + " body " + (++bodies) + " "
                + HexFormat.of().formatHex(nonce) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Kills whatever the check left running. */
    void killAll() {
        synchronized (sessions) {
            sessions.forEach(HelperSession::kill);
        }
    }

    /** Ends every session of the check, unjudged. */
    void closeAll() {
        List<HelperSession> copy;
        synchronized (sessions) {
            copy = List.copyOf(sessions);
        }
        copy.forEach(HelperSession::close);
    }

    /** The last stderr lines of the check's most recent session. */
    List<String> stderrTail() {
        synchronized (sessions) {
            return sessions.isEmpty() ? List.of() : sessions.get(sessions.size() - 1).stderrTail();
        }
    }
}
