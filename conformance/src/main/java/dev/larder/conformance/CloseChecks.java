package dev.larder.conformance;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Section 6: how a session ends, and what outlives it. */
final class CloseChecks {
    /** Requests in the session of 6.3/1 after the puts whose paths it rereads. */
    private static final int LATER_REQUESTS = 20;

    private CloseChecks() {
    }

    /** Sends close and waits for its reply; a helper that just ends its output is not judged here. */
    private static Optional<Reply> close(HelperSession s) throws Exception {
        return s.awaitOrEnd(s.send(Request.close(s.newId())), "close");
    }

    /** Closes stdin as cmd/go does next, then requires the end of stdout and the exit. */
    private static int ends(HelperSession s, String after) throws Exception {
        s.closeStdin();
        if (!s.awaitStdoutEnd(s.timeout())) {
            throw new CheckFailure("stdout to end within " + HelperSession.seconds(s.timeout()) + " " + after,
                    "still open (the helper is " + (s.alive() ? "still running" : "gone") + ")");
        }
        return s.awaitExit(s.timeout()).orElseThrow(() -> new CheckFailure(
                "the helper to exit within " + HelperSession.seconds(s.timeout()) + " " + after,
                "still running after closing its stdout"));
    }

    static List<Check> checks() {
        return List.of(
                Check.of("6.1/1", Section.CLOSE, Level.SHOULD, "close is answered with its ID and no Err")
                        .requirement("close gets a reply with its ID and no Err before stdout ends: cmd/go lets"
                                + " a helper exit without one, but reports an Err as the cache failing to close.")
                        .needs(Check.Need.CLOSE)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            if (s.supports(Request.GET)) {
                                s.get(ctx.newAction());
                            }
                            long id = s.send(Request.close(s.newId()));
                            Reply r = s.await(id, "close");
                            Expect.noError(r, "close");
                            return "";
                        }),
                Check.of("6.1/2", Section.CLOSE, Level.MUST, "after close, stdout ends and the helper exits")
                        .requirement("After close, and the end of stdin that cmd/go makes next, the helper closes"
                                + " stdout and exits: cmd/go waits for the end of stdout before the go command"
                                + " can finish, and a helper left running leaks a process per go command.")
                        .needs(Check.Need.CLOSE)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            close(s);
                            int status = ends(s, "of close");
                            return "exit status " + status;
                        }),
                Check.of("6.1/3", Section.CLOSE, Level.SHOULD, "the exit status after close is 0")
                        .requirement("A helper that was closed exits with status 0: scripts and CI that run"
                                + " helpers read anything else as a failure.")
                        .needs(Check.Need.CLOSE)
                        .requires("1.1/1", "1.1/2", "1.1/3", "6.1/2")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            close(s);
                            int status = ends(s, "of close");
                            if (status != 0) {
                                throw new CheckFailure("exit status 0", "exit status " + status);
                            }
                            return "";
                        }),
                Check.of("6.2/1", Section.CLOSE, Level.MUST, "the end of stdin without close ends the helper")
                        .requirement("When stdin ends without a close (a helper that did not list close, an"
                                + " interrupted go command), the helper closes stdout and exits: cmd/go closes"
                                + " the helper's stdin and then waits for the end of its stdout.")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            if (s.supports(Request.GET)) {
                                s.get(ctx.newAction());
                            }
                            int status = ends(s, "of the end of stdin");
                            return "exit status " + status;
                        }),
                Check.of("6.3/1", Section.CLOSE, Level.MUST, "DiskPaths stay readable until close")
                        .requirement("A DiskPath stays valid for the rest of the session: cmd/go remembers it"
                                + " (ProgCache.outputFile) and opens it whenever it needs the output, long after"
                                + " the put or get that named it.")
                        .needs(Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            List<byte[]> bodies = new ArrayList<>();
                            List<Reply> puts = new ArrayList<>();
                            for (int i = 0; i < 3; i++) {
                                byte[] body = ctx.textBody();
                                Reply r = s.put(ctx.newAction(), body);
                                Expect.noError(r, "a put");
                                bodies.add(body);
                                puts.add(r);
                            }
                            for (int i = 0; i < LATER_REQUESTS; i++) {
                                ActionId a = ctx.newAction();
                                Expect.noError(s.put(a, ctx.textBody()), "a later put");
                            }
                            for (int i = 0; i < bodies.size(); i++) {
                                Expect.diskPathHolds(puts.get(i), bodies.get(i),
                                        "put " + (i + 1) + " of 3, after " + LATER_REQUESTS + " more puts,");
                            }
                            return "";
                        }),
                Check.of("6.3/2", Section.CLOSE, Level.SHOULD, "DiskPaths stay readable after the helper exits")
                        .requirement("The files DiskPath names outlive the helper: go list -export and go build"
                                + " -o hand such paths to other programs after the go command and its helper have"
                                + " exited.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1", "6.1/2", "6.2/1")
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] body = ctx.textBody();
                            Reply put = s.put(action, body);
                            Expect.noError(put, "the put");
                            Reply get = s.get(action);
                            Expect.hit(get, "a get after the put");
                            if (s.supports(Request.CLOSE)) {
                                close(s);
                            }
                            ends(s, "of the end of the session");
                            for (Reply r : List.of(put, get)) {
                                String which = r == put ? "the put's" : "the hit's";
                                if (r.diskPath() == null) {
                                    throw new CheckFailure(which + " DiskPath", r.brief());
                                }
                                Expect.fileHolds(Expect.absolute(r.diskPath(), which), body.length,
                                        OutputId.of(body), body, which + " DiskPath, after exit,");
                            }
                            return "";
                        }));
    }
}
