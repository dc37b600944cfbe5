package dev.larder.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/** The three report formats, from one report with a pass, a MUST failure, a SHOULD failure and a skip. */
class ReportsTest {
    private static Check check(String id) {
        return ConformanceKit.catalogue().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    private static Report report() {
        return new Report(Settings.of(List.of("my-helper", "--x")), Instant.parse("2026-11-21T20:00:00Z"),
                Duration.ofMillis(1500), Optional.of(Duration.ofMillis(42)), List.of("get", "put", "close"),
                List.of(Result.passed(check("1.1/1"), "after 42 ms", Duration.ofMillis(50)),
                        Result.failed(check("3.2/2"), "Size 49", "Size 50 <&>", Duration.ofMillis(60),
                                List.of("helper: stored it")),
                        Result.failed(check("3.2/5"), "a Time no later than the reply", "Time in an hour",
                                Duration.ofMillis(70), List.of()),
                        Result.skipped(check("8.1/1"), "run with --persistent")));
    }

    @Test
    void conforms_mustFailure_failsEvenWithoutStrict() {
        Report r = report();
        assertFalse(r.conforms(false));
        assertEquals(1, r.failed(Level.MUST));
        assertEquals(1, r.failed(Level.SHOULD));
    }

    @Test
    void text_showsMarksSectionsRequirementAndSummary() {
        StringWriter out = new StringWriter();
        TextReport.of(true, false).write(report(), new PrintWriter(out));
        String text = out.toString();
        assertTrue(text.contains("handshake in 42 ms; KnownCommands: get, put, close"), text);
        assertTrue(text.contains("\n1 handshake\n  ✔ 1.1/1 the handshake arrives without any input — after 42 ms\n"), text);
        assertTrue(text.contains("  × 3.2/2 a hit's Size is the size put and the file's size [MUST]\n"), text);
        assertTrue(text.contains("      expected: Size 49\n      actual:   Size 50 <&>\n"), text);
        assertTrue(text.contains("        | helper: stored it"), text);
        assertTrue(text.contains("  – 8.1/1 puts are hits after the helper restarts — skipped: run with --persistent"), text);
        assertTrue(text.endsWith("1 passed, 2 failed (1 MUST, 1 SHOULD), 1 skipped in 1.5 s\n"), text);
        for (String line : text.split("\n")) {
            assertTrue(line.length() <= 100, "line over 100 columns: " + line);
        }
    }

    @Test
    void text_ascii_usesWordsForMarks() {
        StringWriter out = new StringWriter();
        TextReport.of(false, false).write(report(), new PrintWriter(out));
        assertTrue(out.toString().contains("  FAIL 3.2/2 "), out.toString());
        assertTrue(out.toString().contains("  ok   1.1/1 "), out.toString());
        assertTrue(out.toString().chars().allMatch(c -> c < 128), out.toString());
    }

    @Test
    void junitXml_oneCasePerCheck_failuresAndSkipsMarked(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("r.xml");
        JUnitXmlReport.write(report(), file);
        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile())
                .getDocumentElement();
        assertEquals("4", suite.getAttribute("tests"));
        assertEquals("2", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("skipped"));
        Element failure = (Element) suite.getElementsByTagName("failure").item(0);
        assertEquals("MUST", failure.getAttribute("type"));
        assertTrue(failure.getTextContent().contains("actual: Size 50 <&>"), failure.getTextContent());
    }

    @Test
    void json_summaryAndChecks(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("r.json");
        JsonReport.write(report(), file);
        JsonNode j = HelperSession.JSON.readTree(file.toFile());
        assertEquals(1, j.get("summary").get("failedMust").asInt());
        assertFalse(j.get("summary").get("conforms").asBoolean());
        assertEquals("failed", j.get("checks").get(1).get("status").asText());
        assertEquals("Size 49", j.get("checks").get(1).get("expected").asText());
        assertEquals("run with --persistent", j.get("checks").get(3).get("reason").asText());
        assertEquals(42, j.get("handshakeMillis").asInt());
    }
}
