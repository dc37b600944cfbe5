package dev.larder.conformance;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The report as JSON, for programs: the helper, the handshake, a summary, and every check with
 * its id, level, section, title, requirement, status and (on failure) expected and actual.
 */
public final class JsonReport {
    private JsonReport() {
    }

    /** The report as a JSON tree. */
    static ObjectNode toJson(Report report) {
        ObjectNode root = HelperSession.JSON.createObjectNode();
        ArrayNode cmd = root.putArray("command");
        report.settings().command().forEach(cmd::add);
        root.put("startedAt", report.startedAt().toString());
        root.put("durationMillis", report.duration().toMillis());
        report.handshake().ifPresent(d -> root.put("handshakeMillis", d.toMillis()));
        ArrayNode known = root.putArray("knownCommands");
        report.knownCommands().forEach(known::add);
        ObjectNode summary = root.putObject("summary");
        summary.put("passed", report.count(Result.Status.PASSED));
        summary.put("failed", report.count(Result.Status.FAILED));
        summary.put("skipped", report.count(Result.Status.SKIPPED));
        summary.put("failedMust", report.failed(Level.MUST));
        summary.put("failedShould", report.failed(Level.SHOULD));
        summary.put("conforms", report.conforms(false));
        summary.put("conformsStrictly", report.conforms(true));
        ArrayNode checks = root.putArray("checks");
        for (Result r : report.results()) {
            Check c = r.check();
            ObjectNode o = checks.addObject();
            o.put("id", c.id());
            o.put("section", c.section().title());
            o.put("level", c.level().name());
            o.put("title", c.title());
            o.put("requirement", c.requirement());
            o.put("status", r.status().name().toLowerCase(java.util.Locale.ROOT));
            o.put("durationMillis", r.duration().toMillis());
            if (!r.note().isEmpty()) {
                o.put(r.status() == Result.Status.SKIPPED ? "reason" : "note", r.note());
            }
            if (r.status() == Result.Status.FAILED) {
                o.put("expected", r.expected());
                o.put("actual", r.actual());
                ArrayNode err = o.putArray("helperStderr");
                r.stderr().forEach(err::add);
            }
        }
        return root;
    }

    /** Writes {@code report} to {@code file} (through a temporary file, then a rename). */
    public static void write(Report report, Path file) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".report", ".tmp");
        try {
            HelperSession.JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), toJson(report));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
