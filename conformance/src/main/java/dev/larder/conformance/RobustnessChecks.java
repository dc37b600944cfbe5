package dev.larder.conformance;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.Request;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** Section 7: input a correct cmd/go never sends, and what must survive it. */
final class RobustnessChecks {
    private RobustnessChecks() {
    }

    /** After bad input, a fresh session must not serve the action. */
    private static void notServedLater(CheckContext ctx, ActionId action, String what) throws Exception {
        HelperSession later = ctx.open();
        if (later.supports(Request.GET)) {
            Expect.notServed(later.get(action), "a get, in a new session, of the action of " + what);
        }
    }

    /** Either an Err reply to {@code id}, or the end of the session; anything else fails. */
    private static void refusedOrEnded(HelperSession s, long id, String what) throws Exception {
        Optional<Reply> r = s.awaitOrEnd(id, what);
        if (r.isEmpty()) {
            s.awaitExit(s.timeout());
        } else if (!r.get().isError()) {
            throw new CheckFailure(what + " refused with Err (or the session ended)", r.get().brief());
        }
    }

    static List<Check> checks() {
        return List.of(
                Check.of("7.1/1", Section.ROBUSTNESS, Level.SHOULD, "an unknown command gets Err and the session goes on")
                        .requirement("A command the helper does not know (one a later cmd/go might send) gets a"
                                + " reply with Err and the same ID, and the helper keeps serving.")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            long id = s.newId();
                            ObjectNode node = HelperSession.requestNode(id, "frobnicate");
                            Reply r = s.await(s.sendNode(node, id, "frobnicate", null), "an unknown command");
                            if (!r.isError()) {
                                throw new CheckFailure("{\"ID\":" + id + ",\"Err\":\"...\"}", r.brief());
                            }
                            s.get(ctx.newAction());
                            return "Err " + Expect.quote(r.err());
                        }),
                Check.of("7.2/1", Section.ROBUSTNESS, Level.SHOULD, "a body that does not hash to its OutputID is refused")
                        .requirement("The helper checks that a put's body hashes (SHA-256) to its OutputID and"
                                + " refuses it with Err otherwise, storing nothing: a cache that stores what it is"
                                + " told serves a wrong output for ever after.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] body = ctx.textBody();
                            OutputId claimed = OutputId.of(ctx.textBody());
                            Reply r = s.await(s.sendPut(action, claimed, body.length, new ByteArrayInputStream(body)),
                                    "a put with a wrong OutputID");
                            if (!r.isError()) {
                                throw new CheckFailure("a put whose body does not hash to its OutputID refused with"
                                        + " Err", r.brief());
                            }
                            Expect.notServed(s.get(action), "a get of the refused put's action");
                            return "Err " + Expect.quote(r.err());
                        }),
                Check.of("7.3/1", Section.ROBUSTNESS, Level.SHOULD, "a BodySize that disagrees with the body is refused")
                        .requirement("A put whose BodySize is larger or smaller than its body gets an Err (or"
                                + " ends the session), and nothing is stored for its action.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            for (int delta : new int[] {5, -3}) {
                                HelperSession s = ctx.open();
                                ActionId action = ctx.newAction();
                                byte[] body = ctx.textBody();
                                OutputId out = OutputId.of(body);
                                String what = "a put declaring BodySize " + (body.length + delta) + " for "
                                        + body.length + " bytes";
                                long id = s.sendPut(action, out, body.length + delta, new ByteArrayInputStream(body));
                                refusedOrEnded(s, id, what);
                                s.close();
                                notServedLater(ctx, action, what);
                            }
                            return "";
                        }),
                Check.of("7.4/1", Section.ROBUSTNESS, Level.SHOULD, "malformed JSON ends the helper, non-zero, at once")
                        .requirement("A request line that is not JSON cannot be framed (nothing says where the next"
                                + " request starts): the helper says so on stderr and exits with a non-zero status"
                                + " at once, rather than guessing or waiting for more input.")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            s.sendRaw("{\"ID\":1,\"Command\":\"get\",\"ActionID\":\n\n".getBytes(StandardCharsets.UTF_8));
                            int status = Expect.exitsNonZero(s, "a malformed line (stdin still open)");
                            List<String> err = s.stderrTail();
                            return "exit status " + status
                                    + (err.isEmpty() ? "" : "; stderr: " + err.get(err.size() - 1));
                        }),
                Check.of("7.5/1", Section.ROBUSTNESS, Level.SHOULD, "a get with an ActionID of 5 bytes is refused, the session goes on")
                        .requirement("A request whose ActionID is not 32 bytes is refused with Err (or answered"
                                + " as a miss) under its own ID, and the helper keeps serving the others.")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            long id = s.newId();
                            ObjectNode node = HelperSession.requestNode(id, Request.GET);
                            node.put("ActionID", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5}));
                            Reply r = s.await(s.sendNode(node, id, Request.GET, null), "a get with a 5-byte ActionID");
                            Expect.notServed(r, "a get with a 5-byte ActionID");
                            s.get(ctx.newAction());
                            return r.isError() ? "Err " + Expect.quote(r.err()) : "a miss";
                        }),
                Check.of("7.6/1", Section.ROBUSTNESS, Level.SHOULD, "a body line cut short by the end of input stores nothing")
                        .requirement("When input ends in the middle of a body line (cmd/go was killed), the helper"
                                + " exits with a non-zero status and stores nothing for that put: a partial body"
                                + " is never served.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] body = new byte[4096];
                            byte[] text = ctx.textBody();
                            for (int i = 0; i < body.length; i++) {
                                body[i] = text[i % text.length];
                            }
                            OutputId out = OutputId.of(body);
                            Request put = Request.put(s.newId(), action, out, body.length);
                            s.sendNode(HelperSession.JSON.valueToTree(put), put.id(), put.command(), null);
                            String b64 = Base64.getEncoder().encodeToString(body);
                            s.sendRaw(("\"" + b64.substring(0, b64.length() / 2)).getBytes(StandardCharsets.US_ASCII));
                            s.closeStdin();
                            int status = Expect.exitsNonZero(s, "the end of input in a body line");
                            notServedLater(ctx, action, "the cut-short put");
                            return "exit status " + status;
                        }),
                Check.of("7.7/1", Section.ROBUSTNESS, Level.SHOULD, "a request without an integer ID is never answered under another")
                        .requirement("cmd/go numbers its requests with int64s from 1 and fails the build on a reply"
                                + " to an ID it did not send: a request whose ID is missing, a fraction or a string"
                                + " cannot be answered, so the helper ends the session (or ignores it), and never"
                                + " replies to it as ID 0, the handshake's, or as the number it resembles.")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            List<String> notes = new ArrayList<>();
                            for (String kind : List.of("missing", "fraction", "string")) {
                                notes.add(kind + ": " + badIdNotAnswered(ctx, kind));
                            }
                            return String.join("; ", notes);
                        }));
    }

    /**
     * Sends a get whose ID is {@code kind} (missing, a fraction, a string) in a new session,
     * then a good get; fails if anything is answered as ID 0 or as the number the bad ID
     * resembles. Says whether the helper ended the session or went on.
     */
    private static String badIdNotAnswered(CheckContext ctx, String kind) throws Exception {
        HelperSession s = ctx.open();
        long n = s.newId(); // the number the bad ID resembles: never sent as a good ID
        ObjectNode node = HelperSession.requestNode(n, Request.GET);
        node.put("ActionID", Base64.getEncoder().encodeToString(ctx.newAction().bytes()));
        switch (kind) {
            case "missing" -> node.remove("ID");
            case "fraction" -> node.put("ID", n + 0.5);
            default -> node.put("ID", Long.toString(n));
        }
        String what = "a get with " + (node.has("ID") ? "ID " + node.get("ID") : "no ID");
        s.sendRaw((HelperSession.JSON.writeValueAsString(node) + "\n\n").getBytes(StandardCharsets.UTF_8));
        Optional<Reply> after;
        try {
            after = s.awaitOrEnd(s.sendGet(ctx.newAction()), "a good get after " + what);
        } catch (IOException stoppedReading) {
            // It exited on the bad line before the good get was written: the session ended.
            if (!s.awaitStdoutEnd(s.timeout())) {
                throw new CheckFailure("the end of the session, as stdin is closed", "stdout still open after "
                        + HelperSession.seconds(s.timeout()));
            }
            after = Optional.empty();
        }
        if (after.isPresent()) {
            s.close(); // a concurrent helper may answer the bad line late: by close, it has
        }
        List<Reply> wrong = new ArrayList<>(s.replies().getOrDefault(0L, List.of()));
        wrong.addAll(s.replies().getOrDefault(n, List.of()));
        if (!wrong.isEmpty()) {
            throw new CheckFailure(what + " ending the session or left unanswered", wrong.get(0).brief());
        }
        return after.isPresent() ? "ignored" : "session ended";
    }
}
