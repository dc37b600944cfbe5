package dev.larder.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code bin/larder serve} as a real process on a loopback port, its log read as it comes. */
final class LarderServe implements AutoCloseable {
    private static final Pattern URL = Pattern.compile("larder serve: (http://127\\.0\\.0\\.1:\\d+/) serving");

    private final Process process;
    private final String url;
    private final List<String> log = new ArrayList<>();

    private LarderServe(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    /** Starts {@code larder serve --listen 127.0.0.1:0 --dir DIR EXTRA...} and waits for its address. */
    static LarderServe start(Path dir, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "serve", "--listen",
                "127.0.0.1:0", "--dir", dir.toString()));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
        StringBuilder seen = new StringBuilder();
        String url = null;
        for (String line; url == null && (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = URL.matcher(line);
            if (m.find()) {
                url = m.group(1);
            }
        }
        if (url == null) {
            p.destroyForcibly();
            throw new IOException("larder serve printed no address: " + seen);
        }
        LarderServe s = new LarderServe(p, url);
        Thread reader = new Thread(() -> s.drain(out), "larder-serve-log");
        reader.setDaemon(true);
        reader.start();
        return s;
    }

    private void drain(BufferedReader out) {
        try {
            for (String line; (line = out.readLine()) != null; ) {
                synchronized (log) {
                    log.add(line);
                    log.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    /** Waits (at most 5 minutes) for a log line matching {@code p}. */
    void awaitLine(Predicate<String> p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        synchronized (log) {
            while (log.stream().noneMatch(p)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("larder serve never logged the line awaited; log:\n" + String.join("\n", log));
                }
                TimeUnit.NANOSECONDS.timedWait(log, left);
            }
        }
    }

    String url() {
        return url;
    }

    /** Stops the server at once (SIGKILL), as a crash or a pulled cable would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
