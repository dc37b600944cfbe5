package dev.larder.conformance;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.Request;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;

/** Section 2: what goes over the pipes, line by line, in every session. */
final class FramingChecks {
    private FramingChecks() {
    }

    static List<Check> checks() {
        return List.of(
                Check.of("2.1/1", Section.FRAMING, Level.MUST, "stdout carries only protocol lines, ever")
                        .requirement("Everything the helper writes on stdout, in every session, is one complete"
                                + " JSON response object per line: cmd/go decodes stdout as a stream of JSON"
                                + " responses and exits with \"error reading JSON from GOCACHEPROG\" at anything"
                                + " else. Logs belong on stderr. Judged over every session of this run.")
                        .runsLast()
                        .body(ctx -> {
                            exercise(ctx);
                            List<String> stray = new ArrayList<>();
                            int lines = 0;
                            for (HelperSession s : ctx.log().sessions()) {
                                for (HelperSession.Line l : s.lines()) {
                                    lines++;
                                    if (l.reply() == null) {
                                        stray.add("stdout line " + l.number() + " of a session of "
                                                + s.label() + ": " + cut(l.text()));
                                    }
                                }
                            }
                            if (!stray.isEmpty()) {
                                throw new CheckFailure("only JSON response lines on stdout",
                                        stray.size() + " other line(s), e.g. " + String.join("; ", first(stray, 3)));
                            }
                            return lines + " lines in " + ctx.log().sessions().size() + " sessions";
                        }),
                Check.of("2.2/1", Section.FRAMING, Level.MUST, "every response has cmd/go's field types")
                        .requirement("Each response decodes as cmd/go's cacheprog.Response: ID and Size are"
                                + " integers, Miss is true or false, Err, Time and DiskPath are strings, OutputID"
                                + " is a string of standard base64 and KnownCommands a list of strings."
                                + " encoding/json rejects the whole response otherwise, and cmd/go exits."
                                + " Judged over every session of this run.")
                        .runsLast()
                        .body(ctx -> {
                            exercise(ctx);
                            List<String> problems = new ArrayList<>();
                            int replies = 0;
                            for (HelperSession s : ctx.log().sessions()) {
                                for (HelperSession.Line l : s.lines()) {
                                    if (l.reply() != null) {
                                        replies++;
                                        for (String p : l.reply().typeProblems()) {
                                            problems.add(p + " (" + l.reply().brief() + ")");
                                        }
                                    }
                                }
                            }
                            if (!problems.isEmpty()) {
                                throw new CheckFailure("fields of cmd/go's types in every response",
                                        problems.size() + " problem(s), e.g. " + String.join("; ", first(problems, 3)));
                            }
                            return replies + " responses";
                        }),
                Check.of("2.3/1", Section.FRAMING, Level.SHOULD, "request fields the helper does not know are ignored")
                        .requirement("Fields of a request that the helper does not know are ignored: cmd/go has"
                                + " added fields before (OutputID in Go 1.24, beside the legacy ObjectID), and a"
                                + " helper that refuses them breaks with the next Go release.")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            if (s.supports(Request.PUT)) {
                                byte[] body = ctx.textBody();
                                OutputId out = OutputId.of(body);
                                Request put = Request.put(s.newId(), action, out, body.length);
                                ObjectNode node = withUnknownFields(put);
                                Reply r = s.await(s.sendNode(node, put.id(), put.command(),
                                        new ByteArrayInputStream(body)), "a put with unknown fields");
                                Expect.noError(r, "a put with fields Priority and Hints");
                                Request get = Request.get(s.newId(), action);
                                Reply g = s.await(s.sendNode(withUnknownFields(get), get.id(), get.command(), null),
                                        "a get with unknown fields");
                                Expect.hit(g, "a get with fields Priority and Hints, after its put,");
                                return "";
                            }
                            Request get = Request.get(s.newId(), action);
                            Reply g = s.await(s.sendNode(withUnknownFields(get), get.id(), get.command(), null),
                                    "a get with unknown fields");
                            if (g.isError()) {
                                throw new CheckFailure("a get with fields Priority and Hints answered as a miss",
                                        g.brief());
                            }
                            return "";
                        }));
    }

    private static ObjectNode withUnknownFields(Request r) {
        ObjectNode node = HelperSession.JSON.valueToTree(r);
        node.put("Priority", 3);
        node.putArray("Hints").add("link").add("test");
        return node;
    }

    /**
     * A session doing what a build does (a miss, a put, a hit, close), so that the run-wide
     * checks see every kind of response even when run alone.
     */
    private static void exercise(CheckContext ctx) throws Exception {
        HelperSession s = ctx.open();
        ActionId action = ctx.newAction();
        if (s.supports(Request.GET)) {
            s.get(action);
        }
        if (s.supports(Request.PUT)) {
            s.put(action, ctx.textBody());
            if (s.supports(Request.GET)) {
                s.get(action);
            }
        }
        s.end();
    }

    private static String cut(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    private static List<String> first(List<String> l, int n) {
        return l.subList(0, Math.min(n, l.size()));
    }
}
