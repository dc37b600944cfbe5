package dev.larder.conformance;

import java.io.PrintWriter;
import java.util.List;

/**
 * The report for people, h2spec style: the checks by section, a mark for each, and for each
 * failure the requirement with Expected and Actual; then one summary line.
 */
public final class TextReport {
    private final boolean unicode;
    private final boolean verbose;

    private TextReport(boolean unicode, boolean verbose) {
        this.unicode = unicode;
        this.verbose = verbose;
    }

    /**
     * A report writer; {@code unicode} picks the marks ✔ × – (else ok FAIL skip), {@code verbose}
     * adds every check's requirement, not just the failed ones'.
     */
    public static TextReport of(boolean unicode, boolean verbose) {
        return new TextReport(unicode, verbose);
    }

    public void write(Report report, PrintWriter out) {
        out.println("larder conformance: " + String.join(" ", report.settings().command()));
        out.println(report.handshake()
                .map(d -> "handshake in " + d.toMillis() + " ms; KnownCommands: "
                        + String.join(", ", report.knownCommands()))
                .orElse("no valid handshake from the helper"));
        Section current = null;
        for (Result r : report.results()) {
            Section s = r.check().section();
            if (s != current) {
                out.println();
                out.println(s.number() + " " + s.title());
                current = s;
            }
            writeResult(r, out);
        }
        out.println();
        out.println(summary(report));
        out.flush();
    }

    private void writeResult(Result r, PrintWriter out) {
        Check c = r.check();
        String head = "  " + mark(r.status()) + " " + c.id() + " " + c.title();
        String level = c.level() == Level.SHOULD ? " (SHOULD)" : "";
        switch (r.status()) {
            case PASSED -> out.println(head + level + (r.note().isEmpty() ? "" : dash() + cut(r.note())));
            case SKIPPED -> out.println(head + level + dash() + "skipped: " + r.note());
            case FAILED -> out.println(head + " [" + c.level() + "]");
            default -> throw new IllegalStateException();
        }
        if (r.status() == Result.Status.FAILED || verbose) {
            wrap("requirement: ", c.requirement(), out);
        }
        if (r.status() == Result.Status.FAILED) {
            wrap("expected: ", r.expected(), out);
            wrap("actual:   ", r.actual(), out);
            List<String> err = r.stderr();
            if (!err.isEmpty()) {
                out.println("      helper stderr (last lines):");
                err.subList(Math.max(0, err.size() - 5), err.size()).forEach(l -> out.println("        | " + l));
            }
        }
    }

    private static void wrap(String label, String text, PrintWriter out) {
        String indent = "      ";
        StringBuilder line = new StringBuilder(indent).append(label);
        int start = line.length();
        for (String word : text.split(" ")) {
            if (line.length() > start && line.length() + 1 + word.length() > 96) {
                out.println(line);
                line = new StringBuilder(indent).append(" ".repeat(label.length()));
                start = line.length();
            }
            if (line.length() > start) {
                line.append(' ');
            }
            line.append(word);
        }
        out.println(line);
    }

    private String dash() {
        return unicode ? " — " : " - ";
    }

    /** A pass note stays on its line: at most 100 characters. */
    private static String cut(String note) {
        return note.length() <= 100 ? note : note.substring(0, 99) + "...";
    }

    private String mark(Result.Status s) {
        return switch (s) {
            case PASSED -> unicode ? "✔" : "ok  ";
            case FAILED -> unicode ? "×" : "FAIL";
            case SKIPPED -> unicode ? "–" : "skip";
        };
    }

    /** {@code N passed, N failed (N MUST, N SHOULD), N skipped in T s}. */
    public static String summary(Report report) {
        long failed = report.count(Result.Status.FAILED);
        return report.count(Result.Status.PASSED) + " passed, " + failed + " failed"
                + (failed > 0 ? " (" + report.failed(Level.MUST) + " MUST, " + report.failed(Level.SHOULD) + " SHOULD)" : "")
                + ", " + report.count(Result.Status.SKIPPED) + " skipped in "
                + String.format("%.1f s", report.duration().toMillis() / 1000.0);
    }
}
