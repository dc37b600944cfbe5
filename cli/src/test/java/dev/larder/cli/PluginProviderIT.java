package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.cli.plugin.FilesProvider;
import dev.larder.conformance.ConformanceKit;
import dev.larder.helper.HelperStats;
import dev.larder.storage.StorageProvider;
import dev.larder.storage.TierCounters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage plugin SPI end to end: the example provider in {@code dev.larder.cli.plugin},
 * packed at test time into a jar with its service file as a third party would ship it, loaded by
 * the real {@code bin/larder helper --plugin-path} and used by the real go command as a far tier
 * that two "machines" (each its own local store, GOCACHE and HOME) share.
 */
class PluginProviderIT {
    private static final Pattern COMPILE_STEP = Pattern.compile("pkg/tool/[^/\\s]+/compile\\s");
    private static final Pattern LINK_STEP = Pattern.compile("pkg/tool/[^/\\s]+/link\\s");

    @TempDir
    Path tmp;

    /**
     * A directory holding one jar: the classes of the provider's package, from the test classes,
     * and {@code META-INF/services/dev.larder.storage.StorageProvider} naming the provider.
     */
    private Path pluginDir() throws Exception {
        Path classes = Path.of(FilesProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String pkg = FilesProvider.class.getPackageName().replace('.', '/');
        Path dir = Files.createDirectories(tmp.resolve("plugins"));
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve("files-store.jar")));
                Stream<Path> files = Files.list(classes.resolve(pkg))) {
            jar.putNextEntry(new JarEntry("META-INF/services/" + StorageProvider.class.getName()));
            jar.write((FilesProvider.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            for (Path c : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                jar.putNextEntry(new JarEntry(pkg + "/" + c.getFileName()));
                jar.write(Files.readAllBytes(c));
            }
        }
        return dir;
    }

    /** A machine: its own local store, GOCACHE, HOME and stats file, and the shared plugin store as far tier. */
    private GoRun machine(String name, Path plugins, Path shared) throws IOException {
        Path m = tmp.resolve(name);
        Files.createDirectories(m.resolve("gocache"));
        Files.createDirectories(m.resolve("home"));
        String helper = GoCacheProgIT.larder() + " helper --dir " + m.resolve("store")
                + " --stats-json " + m.resolve("stats.json")
                + " --plugin-path " + plugins + " --store files:" + shared;
        return new GoRun(GoToolchain.require(GoToolchain.GO124), m.resolve("home"), Map.of(
                "GOCACHEPROG", helper,
                "GOCACHE", m.resolve("gocache").toString()));
    }

    private HelperStats stats(String machine) throws IOException {
        Path file = tmp.resolve(machine).resolve("stats.json");
        assertTrue(Files.exists(file), "got no stats file at " + file + ", want one written by the helper");
        return StatsJson.helper(file);
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    /** Runs the hello binary a build wrote to {@code bin}, and returns what it printed. */
    private static String hello(Path bin) throws Exception {
        Process p = new ProcessBuilder(bin.resolve("hello").toString(), "plugin").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "hello did not exit");
        assertEquals(0, p.exitValue(), "hello exit status; output: " + out);
        return out;
    }

    /** Machine A builds the module from scratch, uploading every put to the plugin store. */
    private void buildOnA(Path mod, Path plugins, Path shared) throws Exception {
        GoRun.Result a = machine("a", plugins, shared).run(mod, "build", "-x", "./...").assertSuccess();
        assertTrue(COMPILE_STEP.matcher(a.output()).find(),
                "machine a: got no compile step in go build -x output, want compiles:\n" + a.output());
        HelperStats s = stats("a");
        long puts = s.puts();
        assertTrue(puts > 0, "machine a: got puts=" + puts + ", want > 0; stats " + s);
        assertEquals(0, s.errors(), "machine a: errors, stats " + s);
        // The helper drains uploads before it answers close, so they are all done by now.
        assertEquals(puts, s.store().uploads(), "machine a: uploads (one per put), stats " + s);
        assertEquals(0, s.store().uploadErrors(), "machine a: uploadErrors, stats " + s);
        assertTrue(count(shared.resolve("ac")) > 0 && count(shared.resolve("cas")) > 0,
                "machine a: got an empty plugin store at " + shared + ", want ac/ and cas/ files");
    }

    @Test
    @Tag("go")
    void build_secondMachineOnThePluginStore_compilesNothing() throws Exception {
        Path plugins = pluginDir();
        Path shared = tmp.resolve("shared");
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/plugindemo");
        buildOnA(mod, plugins, shared);

        Path bin = Files.createDirectories(tmp.resolve("b/bin"));
        GoRun.Result b = machine("b", plugins, shared).run(mod, "build", "-x", "-o", bin + "/", "./...")
                .assertSuccess();
        assertFalse(COMPILE_STEP.matcher(b.output()).find(),
                "machine b: got a compile step, want none (all from the plugin store):\n" + b.output());
        HelperStats s = stats("b");
        TierCounters store = s.store();
        long hits = s.hits();
        assertTrue(hits > 0, "machine b: got hits=" + hits + ", want > 0; stats " + s);
        // B's local store starts empty: every hit is one the plugin store served.
        assertEquals(hits, store.remoteHits(), "machine b: remoteHits (every hit), stats " + s);
        assertEquals(0, store.remoteRefused(), "machine b: remoteRefused, stats " + s);
        assertEquals(0, store.remoteErrors(), "machine b: remoteErrors, stats " + s);
        // As in GoCacheProgIT: cmd/go does not cache linked executables, so the link action's
        // lookup is the only miss.
        long links = LINK_STEP.matcher(b.output()).results().count();
        assertEquals(1, links, "machine b: link steps (cmd/hello)");
        assertEquals(links, s.misses(), "machine b: misses other than the link action, stats " + s);
        assertEquals(0, s.errors(), "machine b: errors, stats " + s);
        assertEquals("Hello, plugin!\n", hello(bin), "machine b's binary");
    }

    @Test
    @Tag("go")
    void build_corruptBodyInThePluginStore_isRefusedAndTheBuildSucceeds() throws Exception {
        Path plugins = pluginDir();
        Path shared = tmp.resolve("shared");
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/plugincorrupt");
        buildOnA(mod, plugins, shared);
        // The largest body is a package archive the link needs, so machine C asks for it. Same
        // length, other bytes: only the SHA-256 check can catch it.
        Path largest;
        try (Stream<Path> s = Files.list(shared.resolve("cas"))) {
            largest = s.max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length())).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(largest);
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] ^= 0x5a;
        }
        Files.write(largest, bytes);

        Path bin = Files.createDirectories(tmp.resolve("c/bin"));
        machine("c", plugins, shared).run(mod, "build", "-o", bin + "/", "./...").assertSuccess();
        HelperStats s = stats("c");
        assertTrue(s.store().remoteRefused() > 0,
                "machine c: got remoteRefused=" + s.store().remoteRefused() + ", want > 0; stats " + s);
        assertEquals(0, s.errors(), "machine c: errors, stats " + s);
        assertEquals("Hello, plugin!\n", hello(bin), "machine c's binary");
        // What C's go command read came from C's local store: every blob there matches its id.
        LarderRun v = LarderRun.of(tmp, Map.of(), "verify", "--dir", tmp.resolve("c/store").toString());
        assertEquals(0, v.exit(), "verify machine c's store: " + v.stdout() + v.stderr());
        assertTrue(v.stdout().contains(": clean"), "verify machine c's store: got " + v.stdout() + ", want clean");
    }

    @Test
    void helper_pluginSchemeWithoutPluginPath_exitsTwoNamingTheScheme() throws Exception {
        Path store = tmp.resolve("store");
        // An empty $LARDER_PLUGIN_PATH, so that one set where the test runs cannot lend the plugin.
        LarderRun r = LarderRun.of(tmp, Map.of("LARDER_PLUGIN_PATH", ""), "helper", "--dir", store.toString(),
                "--store", "files:" + tmp.resolve("shared"));
        assertEquals(2, r.exit(), "exit status; stderr: " + r.stderr());
        assertTrue(r.stderr().contains("no provider for scheme files"),
                "stderr: got " + r.stderr() + ", want it to name the scheme files");
        assertEquals("", r.stdout(), "stdout: got a session, want none before a usage error");
        assertFalse(Files.exists(store), "local store " + store + ": got created, want nothing opened");
    }

    @Test
    void helper_uriThePluginRefuses_exitsTwoWithThePluginsReason() throws Exception {
        Path store = tmp.resolve("store");
        LarderRun r = LarderRun.of(tmp, Map.of(), "helper", "--dir", store.toString(), "--plugin-path",
                pluginDir().toString(), "--store", "files:relative/dir");
        assertEquals(2, r.exit(), "exit status; stderr: " + r.stderr());
        assertTrue(r.stderr().contains("store files:relative/dir: files:relative/dir: want files:/ABSOLUTE/DIR"),
                "stderr: got " + r.stderr() + ", want the plugin's reason");
        assertEquals("", r.stdout(), "stdout: got a session, want none before a usage error");
    }

    @Test
    void conformance_helperOnThePluginStore_passesEveryCheck() throws Exception {
        Path shared = tmp.resolve("shared");
        LarderRun r = LarderRun.of(tmp, Map.of(), "conformance", "--strict", "--persistent", "--",
                GoCacheProgIT.larder().toString(), "helper", "--dir", tmp.resolve("store").toString(),
                "--plugin-path", pluginDir().toString(), "--store", "files:" + shared);
        int n = ConformanceKit.catalogue().size();
        assertEquals(0, r.exit(), "exit status; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        assertTrue(r.stdout().contains(n + " passed, 0 failed, 0 skipped"), r.stdout());
        // The kit's puts went through the plugin too, not only into the local store.
        assertTrue(count(shared.resolve("ac")) > 0, "plugin store " + shared + ": got no ac/ records, want uploads");
        assertEquals(List.of(), leftovers(shared), "plugin store temp files left");
    }

    private static List<Path> leftovers(Path shared) throws IOException {
        try (Stream<Path> s = Files.list(shared.resolve("tmp"))) {
            return s.toList();
        }
    }
}
