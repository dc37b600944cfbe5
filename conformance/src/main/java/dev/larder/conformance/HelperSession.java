package dev.larder.conformance;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.PutBody;
import dev.larder.protocol.Request;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One helper process and everything it wrote: each stdout line in order (JSON responses and
 * anything else), the replies grouped by ID, the last lines of stderr, and how it ended.
 *
 * <p>Requests are written as cmd/go writes them (a JSON line, a blank line, then for a put with
 * a body one line holding a JSON string of padded standard base64). Every wait is bounded by the
 * session's timeout, so a hanging helper fails a check instead of hanging the kit. Writes are
 * made by one thread at a time (the check's); a reader thread per stream drains the helper.
 */
final class HelperSession implements AutoCloseable {
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final int MAX_LINE = 1 << 20;
    /** Lines kept per session; a helper flooding stdout must not exhaust the kit's memory. */
    private static final int MAX_LINES = 20_000;
    private static final int STDERR_LINES = 40;

    /** One line of stdout; {@code reply} is null when it is not a JSON object. */
    record Line(int number, String text, Reply reply) {
    }

    private final List<String> command;
    private final String label;
    private final Duration timeout;
    private final RunLog log;
    private final Process process;
    private final OutputStream stdin;
    private final long startNanos = System.nanoTime();
    private final Object lock = new Object();
    private final List<Line> lines = new ArrayList<>();
    private final Map<Long, List<Reply>> replies = new HashMap<>();
    private final Map<Long, String> sent = new LinkedHashMap<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final Thread stderrReader;
    private long handshakeNanos = -1;
    private int lineCount;
    private int strayKept;
    private boolean stdoutEnded;
    private boolean stdinClosed;
    private long nextId = 1;

    private HelperSession(List<String> command, String label, Duration timeout, RunLog log, Process process) {
        this.command = command;
        this.label = label;
        this.timeout = timeout;
        this.log = log;
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread out = new Thread(() -> readStdout(process.getInputStream()), "conformance-stdout");
        out.setDaemon(true);
        out.start();
        stderrReader = new Thread(() -> readStderr(process.getErrorStream()), "conformance-stderr");
        stderrReader.setDaemon(true);
        stderrReader.start();
    }

    /**
     * Starts the helper command for the check (or other purpose) {@code label}; does not wait
     * for anything.
     *
     * @throws CheckFailure if the command cannot be started at all
     */
    static HelperSession start(List<String> command, String label, Duration timeout, RunLog log)
            throws CheckFailure {
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new CheckFailure("the helper command to start",
                    "cannot start " + String.join(" ", command) + ": " + e.getMessage());
        }
        HelperSession s = new HelperSession(command, label, timeout, log, p);
        log.add(s);
        return s;
    }

    /** What the session was started for: a check id, or the probe. */
    String label() {
        return label;
    }

    Duration timeout() {
        return timeout;
    }

    // ---- reading ----

    private void readStdout(InputStream raw) {
        InputStream in = new BufferedInputStream(raw, 64 * 1024);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long lineLength = 0;
        try {
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    addLine(buf, lineLength);
                    buf.reset();
                    lineLength = 0;
                } else {
                    lineLength++;
                    if (lineLength <= MAX_LINE) {
                        buf.write(b);
                    }
                }
            }
            if (lineLength > 0) {
                addLine(buf, lineLength);
            }
        } catch (IOException e) {
            // the process was killed: what was read stays recorded
        } finally {
            synchronized (lock) {
                stdoutEnded = true;
                lock.notifyAll();
            }
        }
    }

    private void addLine(ByteArrayOutputStream buf, long length) {
        String text = buf.toString(StandardCharsets.UTF_8);
        if (length > MAX_LINE) {
            text = text + "...(line of " + length + " bytes cut)";
        }
        Reply reply = null;
        if (length <= MAX_LINE) {
            try {
                JsonNode node = JSON.readTree(text);
                if (node instanceof ObjectNode o) {
                    reply = new Reply(lineCount + 1, text, o);
                }
            } catch (JacksonException e) {
                // not JSON: recorded as a stray line
            }
        }
        synchronized (lock) {
            lineCount++;
            if (lines.size() < MAX_LINES || reply == null && strayKept < MAX_LINES / 10) {
                lines.add(new Line(lineCount, text, reply));
                strayKept += reply == null ? 1 : 0;
            }
            if (lineCount == 1) {
                handshakeNanos = System.nanoTime() - startNanos;
            } else if (reply != null) {
                replies.computeIfAbsent(reply.id(), k -> new ArrayList<>()).add(reply);
            }
            lock.notifyAll();
        }
    }

    private void readStderr(InputStream raw) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (stderrTail) {
                    stderrTail.addLast(line.length() > 300 ? line.substring(0, 300) + "..." : line);
                    if (stderrTail.size() > STDERR_LINES) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // killed
        }
    }

    /**
     * Waits for the first line the helper writes, without sending anything.
     *
     * @return the first line, or empty if none came within the timeout or stdout ended first
     */
    Optional<Line> awaitFirstLine() throws InterruptedException {
        synchronized (lock) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (lines.isEmpty() && !stdoutEnded) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(0));
        }
    }

    /**
     * Waits for a valid handshake (a JSON object with ID 0 and a non-empty KnownCommands); the
     * checks of section 1 judge it, every other check just needs it.
     */
    Reply handshake() throws CheckFailure, InterruptedException {
        Optional<Line> first = awaitFirstLine();
        if (first.isEmpty()) {
            throw new CheckFailure("a handshake to start the session", describeSilence());
        }
        Reply r = first.get().reply();
        if (r == null || r.id() != 0 || r.knownCommands() == null || r.knownCommands().isEmpty()) {
            throw new CheckFailure("a handshake {\"ID\":0,\"KnownCommands\":[...]} to start the session",
                    "first line: " + first.get().text());
        }
        return r;
    }

    /** What the helper did instead of writing: still running, or exited with a status. */
    String describeSilence() {
        if (process.isAlive()) {
            return "nothing within " + seconds(timeout) + " (the helper is still running)";
        }
        return "nothing: the helper exited with status " + process.exitValue() + stderrHint();
    }

    /** Time from start to the first line, if it came. */
    Optional<Duration> handshakeLatency() {
        synchronized (lock) {
            return handshakeNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(handshakeNanos));
        }
    }

    boolean supports(String cmd) throws CheckFailure, InterruptedException {
        List<String> known = handshake().knownCommands();
        return known != null && known.contains(cmd);
    }

    // ---- writing ----

    long newId() {
        synchronized (lock) {
            return nextId++;
        }
    }

    /** Writes a request as cmd/go does; returns its ID. */
    long send(Request request) throws IOException {
        return sendNode(JSON.valueToTree(request), request.id(), request.command(), null);
    }

    /**
     * Writes an arbitrary request object (an extra field, a bad id), then a blank line, then the
     * body line if {@code body} is not null; records it as sent with {@code id} and
     * {@code command}.
     */
    long sendNode(ObjectNode node, long id, String command, InputStream body) throws IOException {
        synchronized (lock) {
            sent.put(id, command);
        }
        byte[] json = JSON.writeValueAsBytes(node);
        stdin.write(json);
        stdin.write('\n');
        stdin.write('\n');
        if (body != null) {
            PutBody.writeLine(body, stdin);
        }
        stdin.flush();
        return id;
    }

    /** A request object with just {@code ID} and {@code Command}, for fields to be added by hand. */
    static ObjectNode requestNode(long id, String command) {
        ObjectNode node = JSON.createObjectNode();
        node.put("ID", id);
        node.put("Command", command);
        return node;
    }

    /** Writes bytes exactly as given (malformed input); nothing is recorded as sent. */
    void sendRaw(byte[] bytes) throws IOException {
        stdin.write(bytes);
        stdin.flush();
    }

    long sendGet(ActionId action) throws IOException {
        return send(Request.get(newId(), action));
    }

    long sendPut(ActionId action, byte[] body) throws IOException {
        return sendPut(action, OutputId.of(body), body.length, new java.io.ByteArrayInputStream(body));
    }

    /** A put as cmd/go 1.24 sends it: OutputID and the legacy ObjectID, then the body if any. */
    long sendPut(ActionId action, OutputId output, long size, InputStream body) throws IOException {
        Request r = Request.put(newId(), action, output, size);
        return sendNode(JSON.valueToTree(r), r.id(), r.command(), size > 0 ? body : null);
    }

    Reply get(ActionId action) throws IOException, CheckFailure, InterruptedException {
        return await(sendGet(action), "get");
    }

    Reply put(ActionId action, byte[] body) throws IOException, CheckFailure, InterruptedException {
        return await(sendPut(action, body), "put");
    }

    /** Closes the helper's stdin, as cmd/go does after close or when it exits. */
    void closeStdin() {
        synchronized (lock) {
            stdinClosed = true;
        }
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
    }

    // ---- waiting ----

    /**
     * Waits for the first reply with {@code id}.
     *
     * @throws CheckFailure if none comes within the timeout or stdout ends first
     */
    Reply await(long id, String what) throws CheckFailure, InterruptedException {
        synchronized (lock) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!replies.containsKey(id) && !stdoutEnded) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new CheckFailure("a reply to " + what + " (ID " + id + ")",
                            "none within " + seconds(timeout) + " (the helper is "
                                    + (process.isAlive() ? "still running" : "gone") + ")");
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            List<Reply> rs = replies.get(id);
            if (rs == null) {
                throw new CheckFailure("a reply to " + what + " (ID " + id + ")",
                        "the helper closed stdout first" + exitHint());
            }
            return rs.get(0);
        }
    }

    /**
     * Waits for the reply to {@code id}, or for the helper to end its output instead (which
     * some requests allow: close, input it refuses by exiting).
     *
     * @return the reply, or empty if stdout ended first
     * @throws CheckFailure if neither happens within the timeout
     */
    Optional<Reply> awaitOrEnd(long id, String what) throws CheckFailure, InterruptedException {
        try {
            return Optional.of(await(id, what));
        } catch (CheckFailure e) {
            if (awaitStdoutEnd(Duration.ZERO)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Waits until stdout ends; false if it is still open after {@code wait}. */
    boolean awaitStdoutEnd(Duration wait) throws InterruptedException {
        synchronized (lock) {
            long deadline = System.nanoTime() + wait.toNanos();
            while (!stdoutEnded) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    /** Waits for the process to exit; its status, or empty if it is still running. */
    Optional<Integer> awaitExit(Duration wait) throws InterruptedException {
        if (process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            return Optional.of(process.exitValue());
        }
        return Optional.empty();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Every stdout line so far. */
    List<Line> lines() {
        synchronized (lock) {
            return List.copyOf(lines);
        }
    }

    /** Every reply so far by ID, the handshake left out. */
    Map<Long, List<Reply>> replies() {
        synchronized (lock) {
            Map<Long, List<Reply>> copy = new HashMap<>();
            replies.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return copy;
        }
    }

    /** The IDs sent so far, with their commands, in order. */
    Map<Long, String> sent() {
        synchronized (lock) {
            return new LinkedHashMap<>(sent);
        }
    }

    List<String> stderrTail() {
        synchronized (stderrTail) {
            return List.copyOf(stderrTail);
        }
    }

    List<String> command() {
        return command;
    }

    private String exitHint() {
        try {
            Optional<Integer> status = awaitExit(Duration.ofMillis(500));
            return status.map(s -> " and exited with status " + s + stderrHint()).orElse("");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private String stderrHint() {
        try {
            stderrReader.join(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> tail = stderrTail();
        return tail.isEmpty() ? "" : "; its last stderr line: " + tail.get(tail.size() - 1);
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format("%.1f s", d.toMillis() / 1000.0);
    }

    // ---- ending ----

    /**
     * Ends the session as cmd/go does and waits for it, judging nothing (the checks of section 6
     * judge how a helper ends): close if listed, awaiting its reply or the end of stdout; then
     * the end of stdin; then the end of stdout and the exit, each bounded by the timeout.
     */
    void end() throws InterruptedException {
        if (knowsClose()) {
            try {
                awaitQuietly(send(Request.close(newId())), timeout);
            } catch (IOException e) {
                // it stopped reading: the end of stdin below is all there is left to say
            }
        }
        closeStdin();
        awaitStdoutEnd(timeout);
        awaitExit(timeout);
    }

    /** Kills the helper and whatever it started. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /**
     * Ends the session without judging it: close (if the helper knows it and is still reading),
     * end of stdin, then a bounded wait for exit, then kill. The wait shortens for the rest of
     * the run once a helper has been seen not to exit, so a hanging helper costs one timeout,
     * not one per check.
     */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                Duration grace = log.teardownGrace(timeout);
                boolean open;
                synchronized (lock) {
                    open = !stdinClosed && !stdoutEnded && !lines.isEmpty();
                }
                if (open && knowsClose()) {
                    try {
                        long id = newId();
                        send(Request.close(id));
                        awaitQuietly(id, grace);
                    } catch (IOException e) {
                        // it stopped reading; the kill below ends it
                    }
                }
                closeStdin();
                if (awaitExit(grace).isEmpty()) {
                    log.helperLingered();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            kill();
            closeStdin();
        }
    }

    private boolean knowsClose() {
        synchronized (lock) {
            Reply r = lines.isEmpty() ? null : lines.get(0).reply();
            List<String> known = r == null ? null : r.knownCommands();
            return known != null && known.contains(Request.CLOSE);
        }
    }

    private void awaitQuietly(long id, Duration wait) throws InterruptedException {
        synchronized (lock) {
            long deadline = System.nanoTime() + wait.toNanos();
            while (!replies.containsKey(id) && !stdoutEnded) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }
}
