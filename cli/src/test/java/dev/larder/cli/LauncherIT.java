package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher with two JDKs: each gets its own class-data archive and its own daemon, and
 * neither prints anything on stderr when nothing is wrong (cmd/go shows a helper's stderr on
 * every go command).
 */
class LauncherIT {
    @TempDir
    Path tmp;

    /** Another JDK than the one running the tests: Temurin 25, where the machine has it. */
    private static Optional<Path> otherJava() {
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("temurin-25"))
                    .map(p -> p.resolve("bin/java")).filter(Files::isExecutable).findFirst();
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    private Map<String, String> env(Path java) {
        Map<String, String> env = new HashMap<>();
        env.put("LARDER_JAVA", java.toString());
        env.put("LARDER_DAEMON_DIR", tmp.resolve("run").toString());
        env.put("LARDER_BRIDGE", "1");
        return env;
    }

    private LarderRun helper(Map<String, String> env, String action) throws Exception {
        String id = Base64.getEncoder().encodeToString(DigestUtils.sha256(action.getBytes(StandardCharsets.UTF_8)));
        Path in = Files.writeString(Files.createTempFile(tmp, "in", ".txt"),
                "{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"" + id + "\"}\n\n{\"ID\":2,\"Command\":\"close\"}\n\n");
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir",
                tmp.resolve("store").toString()).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES));
        return new LarderRun(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void twoJdks_eachSilent_eachItsOwnArchiveAndDaemon() throws Exception {
        Path other = otherJava().orElse(null);
        if (other == null) {
            org.junit.jupiter.api.Assumptions.abort("no Temurin 25 under /usr/lib/jvm: nothing to switch to");
        }
        Path own = Path.of(System.getProperty("java.home"), "bin", "java");
        try {
            for (Path java : new Path[] {own, other, own}) {
                LarderRun v = LarderRun.of(tmp, env(java), "--version");
                assertEquals(0, v.exit(), java + " --version: " + v.stderr());
                assertEquals("", v.stderr(), java + ": the launcher said something on stderr");
                LarderRun h = helper(env(java), "a");
                assertEquals(0, h.exit(), java + " helper: " + h.stderr());
                assertEquals("", h.stderr(), java + ": a helper session said something on stderr");
                assertTrue(h.stdout().contains("\"Miss\":true"), h.stdout());
            }
            // Also through the JVM fallback, where every start uses the archive.
            Map<String, String> jvm = env(other);
            jvm.put("LARDER_BRIDGE", "0");
            LarderRun h = helper(jvm, "b");
            assertEquals("", h.stderr(), "JVM helper on " + other + ": stderr");
            try (Stream<Path> s = Files.list(Path.of(System.getProperty("larder.root"), "cli", "target"))) {
                long archives = s.filter(p -> p.getFileName().toString().matches("larder-[0-9a-f]{16}\\.jsa")).count();
                assertTrue(archives >= 2, "want an archive per JVM, got " + archives);
            }
            LarderRun status = LarderRun.of(tmp, env(own), "daemon", "status");
            assertTrue(status.stdout().contains("java      " + own) && status.stdout().contains("java      " + other),
                    "one daemon per JVM: " + status.stdout());
        } finally {
            LarderRun.of(tmp, env(own), "daemon", "stop");
        }
    }
}
