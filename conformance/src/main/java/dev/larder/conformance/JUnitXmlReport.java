package dev.larder.conformance;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The report as JUnit XML, which CI systems display: one test case per check, a failure element
 * with Expected and Actual for each failed check, a skipped element with the reason.
 */
public final class JUnitXmlReport {
    private JUnitXmlReport() {
    }

    /** Writes {@code report} to {@code file} (through a temporary file, then a rename). */
    public static void write(Report report, Path file) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".junit", ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                write(report, out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void write(Report report, OutputStream out) throws IOException {
        try {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuite");
            x.writeAttribute("name", "larder conformance: " + String.join(" ", report.settings().command()));
            x.writeAttribute("tests", String.valueOf(report.results().size()));
            x.writeAttribute("failures", String.valueOf(report.count(Result.Status.FAILED)));
            x.writeAttribute("errors", "0");
            x.writeAttribute("skipped", String.valueOf(report.count(Result.Status.SKIPPED)));
            x.writeAttribute("time", seconds(report.duration().toMillis()));
            x.writeAttribute("timestamp", report.startedAt().toString());
            x.writeCharacters("\n");
            for (Result r : report.results()) {
                Check c = r.check();
                x.writeCharacters("  ");
                x.writeStartElement("testcase");
                x.writeAttribute("classname", "conformance." + c.section().number() + "-"
                        + c.section().title().replace(' ', '-').toLowerCase(Locale.ROOT));
                x.writeAttribute("name", c.id() + " " + c.title() + " [" + c.level() + "]");
                x.writeAttribute("time", seconds(r.duration().toMillis()));
                switch (r.status()) {
                    case FAILED -> {
                        x.writeStartElement("failure");
                        x.writeAttribute("type", c.level().name());
                        x.writeAttribute("message", "expected " + r.expected() + "; actual " + r.actual());
                        x.writeCharacters("requirement: " + c.requirement() + "\nexpected: " + r.expected()
                                + "\nactual: " + r.actual()
                                + (r.stderr().isEmpty() ? "" : "\nhelper stderr:\n" + String.join("\n", r.stderr())));
                        x.writeEndElement();
                    }
                    case SKIPPED -> {
                        x.writeEmptyElement("skipped");
                        x.writeAttribute("message", r.note());
                    }
                    case PASSED -> {
                        if (!r.note().isEmpty()) {
                            x.writeStartElement("system-out");
                            x.writeCharacters(r.note());
                            x.writeEndElement();
                        }
                    }
                    default -> throw new IllegalStateException();
                }
                x.writeEndElement();
                x.writeCharacters("\n");
            }
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IOException("writing JUnit XML: " + e.getMessage(), e);
        }
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }
}
