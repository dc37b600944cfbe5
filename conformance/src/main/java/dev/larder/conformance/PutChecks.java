package dev.larder.conformance;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.Request;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/** Section 4: put, from empty bodies to large ones. */
final class PutChecks {
    private PutChecks() {
    }

    static List<Check> checks() {
        return List.of(
                Check.of("4.1/1", Section.PUT, Level.MUST, "a put is answered with a DiskPath holding the body")
                        .requirement("A put is answered without Err and with DiskPath, the absolute path of a"
                                + " local file holding exactly the body: cmd/go fails the build with"
                                + " \"GOCACHEPROG didn't return DiskPath in put response\" and reads the output"
                                + " from that file afterwards.")
                        .needs(Check.Need.PUT)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            byte[] body = ctx.textBody();
                            Reply r = s.put(ctx.newAction(), body);
                            Expect.noError(r, "the put");
                            Expect.diskPathHolds(r, body, "the put's reply");
                            return "";
                        }),
                Check.of("4.2/1", Section.PUT, Level.MUST, "a zero-size put has no body line and is served empty")
                        .requirement("A put with BodySize 0 is followed by no body line (cmd/go writes one only"
                                + " \"if req.Body != nil && req.BodySize > 0\"): the helper answers it at once,"
                                + " with a DiskPath to an empty file, and serves the empty output afterwards.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] empty = new byte[0];
                            OutputId out = OutputId.of(empty);
                            Reply r = s.await(s.sendPut(action, out, 0, null), "a zero-size put");
                            Expect.noError(r, "the zero-size put");
                            Expect.diskPathHolds(r, empty, "the zero-size put's reply");
                            Expect.serves(s.get(action), empty, "a get after the zero-size put");
                            return "";
                        }),
                Check.of("4.3/1", Section.PUT, Level.MUST, "bodies with every byte value are stored exactly")
                        .requirement("Bodies are binary: every byte value from 0 to 255, and bodies of 1, 2 and"
                                + " 3 bytes (each base64 padding), come back byte for byte from the put's and the"
                                + " hit's DiskPath.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            for (byte[] body : binaryBodies()) {
                                ActionId action = ctx.newAction();
                                String what = "a put of " + describe(body);
                                Reply r = s.put(action, body);
                                Expect.noError(r, what);
                                Expect.diskPathHolds(r, body, what + ": the reply");
                                Expect.serves(s.get(action), body, "a get after " + what);
                            }
                            return "";
                        }),
                Check.of("4.4/1", Section.PUT, Level.MUST, "a large body is stored exactly")
                        .requirement("Bodies are as large as build outputs get (64 MiB by default, --large-body"
                                + " sets it): the body line is one very long line, and every byte of it comes back"
                                + " from the put's and the hit's DiskPath.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .budget(st -> st.timeout().multipliedBy(8)
                                .plus(Duration.ofSeconds(1 + st.largeBodySize() / (1 << 20))))
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            PatternBody body = new PatternBody(ctx.settings().largeBodySize(), action.toString());
                            OutputId out = body.outputId();
                            long started = System.nanoTime();
                            Reply r = s.await(s.sendPut(action, out, body.size(), body.open()),
                                    "a large put");
                            long millis = (System.nanoTime() - started) / 1_000_000;
                            Expect.noError(r, "the large put");
                            Expect.diskPathHolds(r, body.size(), out, null, "the large put's reply");
                            Reply g = s.get(action);
                            Expect.hit(g, "a get after the large put");
                            Expect.outputId(g, out, "the hit");
                            Expect.diskPathHolds(g, body.size(), out, null, "the hit");
                            return PatternBody.describe(body.size()) + " put in " + millis + " ms";
                        }),
                Check.of("4.5/1", Section.PUT, Level.MUST, "a second put of an action replaces the first")
                        .requirement("When an action is put again with another output, later gets return the"
                                + " newer one: cmd/go puts an action again when it had to rebuild it (an output"
                                + " file gone or of the wrong size) and must not be handed the old one back.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] first = ctx.textBody();
                            byte[] second = ctx.textBody();
                            Expect.noError(s.put(action, first), "the first put");
                            Expect.noError(s.put(action, second), "the second put");
                            Expect.serves(s.get(action), second, "a get after both puts (the second put's output)");
                            return "";
                        }),
                Check.of("4.6/1", Section.PUT, Level.SHOULD, "a put naming its output in the legacy ObjectID is stored")
                        .requirement("A put that names its output only in the legacy ObjectID field is stored as"
                                + " if it were OutputID: Go 1.21 to 1.23 (built with GOEXPERIMENT=cacheprog) send"
                                + " nothing else.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] body = ctx.textBody();
                            OutputId out = OutputId.of(body);
                            long id = s.newId();
                            ObjectNode node = HelperSession.requestNode(id, Request.PUT);
                            node.put("ActionID", Base64.getEncoder().encodeToString(action.bytes()));
                            node.put("ObjectID", Base64.getEncoder().encodeToString(out.bytes()));
                            node.put("BodySize", body.length);
                            Reply r = s.await(s.sendNode(node, id, Request.PUT, new ByteArrayInputStream(body)),
                                    "a put with ObjectID only");
                            Expect.noError(r, "a put with ObjectID only");
                            Expect.serves(s.get(action), body, "a get after a put with ObjectID only");
                            return "";
                        }),
                Check.of("4.7/1", Section.PUT, Level.MUST, "one output put under two actions is served for both")
                        .requirement("Many actions can produce the same bytes (an empty archive, the same test"
                                + " output): putting an output under a second action leaves it served for the"
                                + " first as well.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId a1 = ctx.newAction();
                            ActionId a2 = ctx.newAction();
                            byte[] body = ctx.textBody();
                            Expect.noError(s.put(a1, body), "the put under the first action");
                            Expect.noError(s.put(a2, body), "the put under the second action");
                            for (ActionId a : List.of(a1, a2)) {
                                String which = a == a1 ? "first" : "second";
                                Expect.serves(s.get(a), body, "a get of the " + which + " action");
                            }
                            return "";
                        }));
    }

    /** 0..255 up and down, then 1, 2 and 3 bytes of binary (base64 padding "==", "=", none). */
    static List<byte[]> binaryBodies() {
        byte[] all = new byte[512];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
            all[511 - i] = (byte) i;
        }
        return List.of(all, new byte[] {0}, new byte[] {(byte) 0xff, '\r'}, new byte[] {'\n', 0, (byte) 0x80});
    }

    private static String describe(byte[] body) {
        return body.length == 512 ? "every byte value" : body.length + " binary byte" + (body.length == 1 ? "" : "s");
    }
}
