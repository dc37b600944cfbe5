package dev.larder.conformance;

import java.util.List;
import java.util.Optional;

/** Section 1: the unprompted first message. */
final class HandshakeChecks {
    private HandshakeChecks() {
    }

    static List<Check> checks() {
        return List.of(
                Check.of("1.1/1", Section.HANDSHAKE, Level.MUST, "the handshake arrives without any input")
                        .requirement("The helper writes its first line on its own, before it reads anything: cmd/go"
                                + " sends no request until that handshake arrives (startCacheProg waits for it,"
                                + " logging \"still waiting for GOCACHEPROG\" every 5 s).")
                        .requires()
                        .body(ctx -> {
                            HelperSession s = ctx.start();
                            Optional<HelperSession.Line> first = s.awaitFirstLine();
                            if (first.isEmpty()) {
                                throw new CheckFailure("a first line on stdout within "
                                        + HelperSession.seconds(s.timeout()) + ", with nothing sent",
                                        s.describeSilence());
                            }
                            return "after " + s.handshakeLatency().orElseThrow().toMillis() + " ms";
                        }),
                Check.of("1.1/2", Section.HANDSHAKE, Level.MUST, "the first line is a JSON object with ID 0")
                        .requirement("The first line is a JSON object with ID 0: cmd/go registers ID 0 for the"
                                + " capabilities message, and a first response with any other ID is a response to"
                                + " a request it never sent (\"GOCACHEPROG sent response for unknown request ID\").")
                        .requires("1.1/1")
                        .body(ctx -> {
                            HelperSession.Line first = firstLine(ctx);
                            if (first.reply() == null) {
                                throw new CheckFailure("a JSON object", "first line: " + first.text());
                            }
                            if (first.reply().id() != 0) {
                                throw new CheckFailure("ID 0", "first line: " + first.reply().brief());
                            }
                            return "";
                        }),
                Check.of("1.1/3", Section.HANDSHAKE, Level.MUST, "KnownCommands is a non-empty list of commands")
                        .requirement("The handshake lists the commands the helper accepts in KnownCommands, at"
                                + " least one: cmd/go exits with \"GOCACHEPROG ... declared no supported commands\""
                                + " otherwise, and sends get, put and close only to a helper that listed them.")
                        .requires("1.1/1", "1.1/2")
                        .body(ctx -> {
                            HelperSession.Line first = firstLine(ctx);
                            List<String> known = first.reply() == null ? null : first.reply().knownCommands();
                            if (known == null || known.isEmpty()) {
                                throw new CheckFailure("KnownCommands with at least one command, e.g."
                                        + " [\"get\",\"put\",\"close\"]", "first line: " + first.text());
                            }
                            return "KnownCommands: " + String.join(", ", known);
                        }));
    }

    private static HelperSession.Line firstLine(CheckContext ctx) throws Exception {
        HelperSession s = ctx.start();
        return s.awaitFirstLine().orElseThrow(() -> new CheckFailure("a first line", s.describeSilence()));
    }
}
