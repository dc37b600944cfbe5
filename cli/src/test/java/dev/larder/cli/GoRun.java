package dev.larder.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real go command in a sealed environment and captures its combined output. */
final class GoRun {
    /** A finished go command. */
    record Result(List<String> command, int exitCode, String output) {
        Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + ": got exit " + exitCode
                        + ", want 0; output:\n" + output);
            }
            return this;
        }
    }

    private final GoToolchain toolchain;
    private final Path home;
    private final Map<String, String> env;

    GoRun(GoToolchain toolchain, Path home, Map<String, String> env) {
        this.toolchain = toolchain;
        this.home = home;
        this.env = env;
    }

    Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(toolchain.go().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> e = pb.environment();
        e.clear();
        e.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        e.put("HOME", home.toString());
        e.put("GOPATH", home.resolve("gopath").toString());
        e.put("GOTOOLCHAIN", "local");
        e.put("GOPROXY", "off");
        e.put("GOTELEMETRY", "off");
        e.put("GOENV", "off");
        e.put("GOWORK", "off");
        e.put("CGO_ENABLED", "0");
        String javaHome = System.getProperty("java.home");
        e.put("JAVA_HOME", javaHome);
        e.putAll(toolchain.extraEnv());
        e.putAll(env);
        Path log = Files.createTempFile(home, "go-", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + ": did not finish within 10 minutes");
        }
        return new Result(cmd, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
