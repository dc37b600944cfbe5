package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.conformance.Check;
import dev.larder.conformance.ConformanceKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Element;

/** {@code bin/larder conformance} against larder's own helper and against broken ones. */
class ConformanceCommandIT {
    @TempDir
    Path tmp;

    private LarderRun conformance(String... args) throws IOException, InterruptedException {
        String[] all = new String[args.length + 1];
        all[0] = "conformance";
        System.arraycopy(args, 0, all, 1, args.length);
        return LarderRun.of(tmp, Map.of(), all);
    }

    private String helper() {
        return GoCacheProgIT.larder().toString();
    }

    private String store() {
        return tmp.resolve("store").toString();
    }

    private static List<String> reference(Path store, String breakName) {
        String python = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, "python3"))) {
                python = Path.of(dir, "python3").toString();
                break;
            }
        }
        if (python == null && "1".equals(System.getenv("LARDER_REQUIRE_PYTHON"))) {
            throw new AssertionError("python3 is not on PATH, and LARDER_REQUIRE_PYTHON=1 says this test must run");
        }
        assumeTrue(python != null, "python3 is not on PATH: the reference helper cannot run");
        Path script = Path.of(System.getProperty("larder.root", ".")).toAbsolutePath()
                .resolve("conformance/src/test/fixtures/minihelper.py");
        return List.of(python, script.toString(), "--dir", store.toString(), "--break", breakName);
    }

    private static long needingPut() {
        return ConformanceKit.catalogue().stream().filter(c -> c.needs().contains(Check.Need.PUT)).count();
    }

    @Test
    void conformance_larderHelper_passesEveryCheck() throws Exception {
        Path xml = tmp.resolve("report.xml");
        Path json = tmp.resolve("report.json");
        LarderRun r = conformance("--strict", "--persistent", "--junit-xml", xml.toString(), "--json", json.toString(),
                "--", helper(), "helper", "--dir", store());
        int n = ConformanceKit.catalogue().size();
        assertEquals(0, r.exit(), "exit status; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        assertTrue(r.stdout().contains(n + " passed, 0 failed, 0 skipped"), r.stdout());
        for (Check c : ConformanceKit.catalogue()) {
            assertTrue(r.stdout().contains("✔ " + c.id() + " " + c.title()), "no pass line for " + c.id());
        }

        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
        assertEquals("testsuite", suite.getTagName());
        assertEquals(String.valueOf(n), suite.getAttribute("tests"));
        assertEquals("0", suite.getAttribute("failures"));
        assertEquals(n, suite.getElementsByTagName("testcase").getLength());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertEquals(n, report.get("summary").get("passed").asInt());
        assertTrue(report.get("summary").get("conformsStrictly").asBoolean());
        assertEquals("1.1/1", report.get("checks").get(0).get("id").asText());
        assertTrue(report.get("handshakeMillis").asLong() > 0);
    }

    @Test
    void conformance_readOnlyLarderHelper_skipsWhatNeedsPut() throws Exception {
        LarderRun r = conformance("--strict", "--", helper(), "helper", "--read-only", "--dir", store());
        assertEquals(0, r.exit(), "exit status; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        long skipped = needingPut();
        long passed = ConformanceKit.catalogue().size() - skipped;
        assertTrue(r.stdout().contains(passed + " passed, 0 failed, " + skipped + " skipped"), r.stdout());
        assertTrue(r.stdout().contains("skipped: the helper does not list put in KnownCommands (a read-only helper)"),
                r.stdout());
    }

    /** Every backend configuration of larder's helper passes the kit; read-only ones skip put's checks. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"http (larder serve)", "http (nginx)", "readonly:http (nginx)", "local + far h2",
        "readonly:h2 only"})
    void conformance_larderHelperWithBackends_passesEveryCheck(String config) throws Exception {
        List<AutoCloseable> servers = new ArrayList<>();
        try {
            List<String> stores = new ArrayList<>();
            boolean readOnly = false;
            switch (config) {
                case "http (larder serve)" -> {
                    LarderServe s = LarderServe.start(tmp.resolve("served"));
                    servers.add(s);
                    stores.add(s.url());
                }
                case "http (nginx)", "readonly:http (nginx)" -> {
                    Nginx n = Nginx.start(tmp.resolve("nginx"), Optional.empty());
                    servers.add(n);
                    stores.add((config.startsWith("readonly:") ? "readonly:" : "") + n.url());
                }
                case "local + far h2" -> stores.addAll(List.of("h2:" + tmp.resolve("near"), "h2:" + tmp.resolve("far")));
                default -> {
                    stores.add("readonly:h2:" + tmp.resolve("ro"));
                    readOnly = true;
                }
            }
            List<String> args = new ArrayList<>(List.of("--strict", "--persistent", "--", helper(), "helper", "--dir",
                    store()));
            for (String s : stores) {
                args.addAll(List.of("--store", s));
            }
            LarderRun r = conformance(args.toArray(String[]::new));
            assertEquals(0, r.exit(), config + ": exit status; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
            long skipped = readOnly ? needingPut() : 0;
            long passed = ConformanceKit.catalogue().size() - skipped;
            assertTrue(r.stdout().contains(passed + " passed, 0 failed, " + skipped + " skipped"), r.stdout());
        } finally {
            for (AutoCloseable s : servers) {
                s.close();
            }
        }
    }

    @Test
    void conformance_mustFailure_exitsOneWithExpectedAndActual() throws Exception {
        List<String> args = new ArrayList<>(List.of("--only", "3.", "--timeout", "5", "--"));
        args.addAll(reference(tmp.resolve("ref"), "get-size-off"));
        LarderRun r = conformance(args.toArray(String[]::new));
        assertEquals(1, r.exit(), r.stdout());
        assertTrue(r.stdout().contains("× 3.2/2 a hit's Size is the size put and the file's size [MUST]"), r.stdout());
        assertTrue(r.stdout().contains("requirement: A hit's Size is the number of bytes put"), r.stdout());
        assertTrue(r.stdout().contains("expected: Size "), r.stdout());
        assertTrue(r.stdout().contains("actual:   "), r.stdout());
        assertTrue(r.stdout().contains("5 passed, 1 failed (1 MUST, 0 SHOULD), 0 skipped"), r.stdout());
    }

    @Test
    void conformance_shouldFailure_failsOnlyWithStrict() throws Exception {
        List<String> args = new ArrayList<>(List.of("--only", "3.2/5", "--"));
        args.addAll(reference(tmp.resolve("ref"), "time-future"));
        LarderRun lax = conformance(args.toArray(String[]::new));
        assertEquals(0, lax.exit(), lax.stdout());
        assertTrue(lax.stdout().contains("× 3.2/5 a hit's Time is not in the future [SHOULD]"), lax.stdout());
        args.add(0, "--strict");
        LarderRun strict = conformance(args.toArray(String[]::new));
        assertEquals(1, strict.exit(), strict.stdout());
    }

    @Test
    void conformance_helperThatHangs_failsTheHandshakeAndSkipsTheRest() throws Exception {
        LarderRun r = conformance("--timeout", "1", "--", "sleep", "600");
        assertEquals(1, r.exit(), r.stdout());
        assertTrue(r.stdout().contains("× 1.1/1 the handshake arrives without any input [MUST]"), r.stdout());
        assertTrue(r.stdout().contains("actual:   nothing within 1 s (the helper is still running)"), r.stdout());
        assertTrue(r.stdout().contains("skipped: needs 1.1/1 (the handshake arrives without any input), which failed"),
                r.stdout());
    }

    @Test
    void conformance_helperThatCannotStart_saysWhy() throws Exception {
        LarderRun r = conformance("--", tmp.resolve("no-such-helper").toString());
        assertEquals(1, r.exit(), r.stdout());
        assertTrue(r.stdout().contains("cannot start " + tmp.resolve("no-such-helper")), r.stdout());
        assertTrue(r.stdout().contains("no valid handshake from the helper"), r.stdout());
    }

    @Test
    void conformance_dryRun_listsChecksAndStartsNothing() throws Exception {
        LarderRun r = conformance("--dry-run", "--only", "4.,6.1", "--", tmp.resolve("never-started").toString());
        assertEquals(0, r.exit(), r.stderr());
        long listed = r.stdout().lines().filter(l -> l.matches("\\d\\.\\d/\\d \\[(MUST|SHOULD)] .*")).count();
        long want = ConformanceKit.catalogue().stream()
                .filter(c -> c.id().startsWith("4.") || c.id().startsWith("6.1")).count();
        assertEquals(want, listed, r.stdout());
    }

    @Test
    void conformance_badUsage_exitsTwoWithAMessage() throws Exception {
        LarderRun none = conformance();
        assertEquals(2, none.exit());
        assertTrue(none.stderr().contains("no helper command: put it after --"), none.stderr());
        LarderRun size = conformance("--large-body", "lots", "--", "true");
        assertEquals(2, size.exit());
        assertTrue(size.stderr().contains("--large-body: not a size: lots"), size.stderr());
        LarderRun only = conformance("--only", "9.", "--", "true");
        assertEquals(2, only.exit());
        assertTrue(only.stderr().contains("--only 9. selects no check"), only.stderr());
    }
}
