package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.helper.HelperStats;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.bazel.ActionResultCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signed records end to end: keys from {@code larder keygen}, real go builds on "machines" (each
 * its own local store and GOCACHE) sharing a real nginx WebDAV remote. CI signs; developers'
 * machines trust its public key; records nobody trusted wrote are misses, and builds stay right.
 */
@Tag("go")
class SignedRecordsIT {
    private static final Pattern COMPILE_STEP = Pattern.compile("pkg/tool/[^/\\s]+/compile\\s");

    @TempDir
    Path tmp;

    private Path keygen(String name) throws Exception {
        Path key = tmp.resolve(name + ".key");
        LarderRun k = LarderRun.of(tmp, Map.of(), "keygen", "--out", key.toString(), "--comment", name);
        assertEquals(0, k.exit(), k.stdout() + k.stderr());
        assertEquals(Files.readString(tmp.resolve(name + ".key.pub")), k.stdout(), "keygen prints the public line");
        return key;
    }

    private static Path pub(Path key) {
        return key.resolveSibling(key.getFileName() + ".pub");
    }

    private GoRun machine(String name, Map<String, String> extraEnv, String... helperArgs) throws IOException {
        return new GoMachines(tmp).machine(name, extraEnv, helperArgs);
    }

    private HelperStats stats(String name) throws IOException {
        return new GoMachines(tmp).stats(name);
    }

    private GoRun.Result buildHello(GoRun go, Path mod, String name) throws Exception {
        return new GoMachines(tmp).buildHello(go, mod, name, "signed");
    }

    private static List<Path> records(Nginx nginx) throws IOException {
        try (Stream<Path> s = Files.walk(nginx.root().resolve("ac"))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "larder serve --trust-key"})
    void ciSigns_developerTrustsItsKey_hitsEverything_otherKeysMissAndRebuild(String server) throws Exception {
        Path ci = keygen("ci");
        Path old = keygen("old");
        Path stranger = keygen("stranger");
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/signed");
        boolean nginxRemote = server.equals("nginx");
        try (AutoCloseable remote = nginxRemote ? Nginx.start(tmp.resolve("nginx"), Optional.empty())
                : LarderServe.start(tmp.resolve("served"), "--trust-key", pub(ci).toString())) {
            String url = remote instanceof Nginx n ? n.url() : ((LarderServe) remote).url();
            if (!nginxRemote) {
                // A writer without CI's key: larder serve refuses its records (403), the build is fine.
                buildHello(machine("intruder", Map.of(), "--store", url), mod, "intruder");
                HelperStats si = stats("intruder");
                assertEquals(0, si.errors(), "intruder: " + si);
                assertTrue(si.store().uploadErrors() > 0, "intruder's records were refused: " + si);
                assertEquals(0, si.store().uploads(), "intruder: " + si);
            }
            buildHello(machine("ci", Map.of(), "--store", url, "--sign-key", ci.toString()), mod, "ci");
            HelperStats sc = stats("ci");
            assertEquals(sc.puts(), sc.store().uploads(), "CI uploads one record per put: " + sc);
            if (remote instanceof Nginx nginx) {
                for (Path r : records(nginx)) {
                    StoredOutput rec = ActionResultCodec.decode(Files.readAllBytes(r));
                    assertTrue(rec.signature().isPresent(), "unsigned record on the remote: " + r);
                }
            }

            GoRun.Result dev = buildHello(machine("dev", Map.of(), "--store", url, "--trust-key",
                    pub(ci).toString()), mod, "dev");
            assertFalse(COMPILE_STEP.matcher(dev.output()).find(), "dev compiled, want all hits:\n" + dev.output());
            HelperStats sd = stats("dev");
            assertTrue(sd.store().remoteHits() > 0, "dev: " + sd);
            assertEquals(0, sd.store().untrusted(), "dev: " + sd);

            // Rotation: a machine trusting the old and the new key (the env var form, a file of lines).
            Path both = tmp.resolve("team.pub");
            Files.writeString(both, "# old, then new\n" + Files.readString(pub(old)) + Files.readString(pub(ci)));
            GoRun.Result rotated = buildHello(machine("rotated", Map.of("LARDER_TRUST_KEYS", both.toString()),
                    "--store", url), mod, "rotated");
            assertFalse(COMPILE_STEP.matcher(rotated.output()).find(), "rotated compiled:\n" + rotated.output());
            assertEquals(0, stats("rotated").store().untrusted(), "rotated: " + stats("rotated"));

            GoRun.Result other = buildHello(machine("other", Map.of(), "--store", url, "--trust-key",
                    pub(stranger).toString()), mod, "other");
            assertTrue(COMPILE_STEP.matcher(other.output()).find(), "trusting another key, yet nothing compiled");
            HelperStats so = stats("other");
            assertEquals(0, so.errors(), "other: " + so);
            assertEquals(0, so.store().remoteHits(), "other: " + so);
            assertTrue(so.store().untrusted() > 0, "other: " + so);
            long warned = other.output().lines().filter(l -> l.contains("signed by no trusted key")).count();
            assertEquals(1, warned, "one warning for the tier:\n" + other.output());
        }
    }

    @Test
    void forgedAndTamperedRecords_areUntrusted_andTheBuildIsRight() throws Exception {
        Path ci = keygen("ci");
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/signed");
        try (Nginx nginx = Nginx.start(tmp.resolve("nginx"), Optional.empty())) {
            buildHello(machine("ci", Map.of(), "--store", nginx.url(), "--sign-key", ci.toString()), mod, "ci");
            List<Path> recs = records(nginx);
            assertTrue(recs.size() >= 4, "records on the remote: " + recs);
            // One record's signature gets a flipped byte; every other record is pointed, unsigned,
            // at the body of the first (a valid body, the wrong output): what an attacker with
            // write access can do without the key.
            StoredOutput first = ActionResultCodec.decode(Files.readAllBytes(recs.get(0)));
            byte[] sig = first.signature().orElseThrow().bytes();
            sig[5] ^= 0x01;
            Files.write(recs.get(0), ActionResultCodec.encode(
                    new StoredOutput(first.output(), first.size(), first.time()).signed(RecordSignature.of(sig))));
            for (Path r : recs.subList(1, recs.size())) {
                Files.write(r, ActionResultCodec.encode(new StoredOutput(first.output(), first.size(), first.time())));
            }

            GoRun.Result dev = buildHello(machine("dev", Map.of(), "--store", nginx.url(), "--trust-key",
                    pub(ci).toString()), mod, "dev");
            HelperStats sd = stats("dev");
            assertEquals(0, sd.errors(), "dev: " + sd);
            assertEquals(0, sd.store().remoteHits(), "a forged or tampered record was used: " + sd);
            assertTrue(sd.store().untrusted() > 0, "dev: " + sd);
            assertEquals(sd.gets(), sd.store().untrusted() + sd.store().remoteMisses(),
                    "every get the remote had a record for found it untrusted: " + sd);
            assertTrue(COMPILE_STEP.matcher(dev.output()).find(), "dev rebuilt nothing:\n" + dev.output());
        }
    }

    @Test
    void larderRun_signedManifests_hitOnATrustingMachine_missOnAnother() throws Exception {
        Path ci = keygen("ci");
        Path stranger = keygen("stranger");
        Path work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        try (Nginx nginx = Nginx.start(tmp.resolve("nginx"), Optional.empty())) {
            // One checkout path, three machines (local stores) in turn: CI records and signs, a
            // developer trusting CI's key replays, one trusting another key runs the command.
            for (String[] m : List.of(
                    new String[] {"ci", "--sign-key", ci.toString(), "miss"},
                    new String[] {"dev", "--trust-key", pub(ci).toString(), "hit"},
                    new String[] {"other", "--trust-key", pub(stranger).toString(), "miss"})) {
                Files.deleteIfExists(work.resolve("out.txt"));
                Path stats = tmp.resolve("run-" + m[0] + ".json");
                LarderRun r = LarderRun.in(work, tmp, Map.of(), "run", "--dir", tmp.resolve("store-" + m[0]).toString(),
                        "--store", nginx.url(), m[1], m[2], "--explain", "--stats-json", stats.toString(), "--",
                        "sh", "-c", "echo result > out.txt");
                assertEquals(0, r.exit(), m[0] + ": " + r.stdout() + r.stderr());
                assertEquals("result\n", Files.readString(work.resolve("out.txt")), m[0] + ": out.txt");
                assertEquals(m[3], StatsJson.run(stats).result(), m[0] + ": " + r.stderr());
            }
        }
    }


    @Test
    void conformance_larderHelperSigningAndTrusting_throughARemote_passesEveryCheck() throws Exception {
        Path ci = keygen("ci");
        try (Nginx nginx = Nginx.start(tmp.resolve("nginx"), Optional.empty())) {
            LarderRun r = LarderRun.of(tmp, Map.of(), "conformance", "--strict", "--persistent", "--",
                    GoCacheProgIT.larder().toString(), "helper", "--dir", tmp.resolve("store").toString(),
                    "--store", nginx.url(), "--sign-key", ci.toString(), "--trust-key", pub(ci).toString());
            int n = dev.larder.conformance.ConformanceKit.catalogue().size();
            assertEquals(0, r.exit(), "stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
            assertTrue(r.stdout().contains(n + " passed, 0 failed, 0 skipped"), r.stdout());
            assertFalse(records(nginx).isEmpty(), "the kit's puts reached the remote");
            for (Path rec : records(nginx)) {
                assertTrue(ActionResultCodec.decode(Files.readAllBytes(rec)).signature().isPresent(), "unsigned: " + rec);
            }
        }
    }
}
