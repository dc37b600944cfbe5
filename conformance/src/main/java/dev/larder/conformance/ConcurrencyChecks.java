package dev.larder.conformance;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Section 5: many requests in flight, as cmd/go keeps them. */
final class ConcurrencyChecks {
    /** Requests written back to back before any reply is awaited. */
    static final int PIPELINED = 64;
    private static final int STORED_FIRST = 16;

    private ConcurrencyChecks() {
    }

    /** What one pipelined request should get. */
    private enum Want { HIT, NOT_SERVED, STORED }

    private record Sent(long id, Want want, OutputId output) {
    }

    /** The pipelined session, ended by close and the end of stdout, with every reply it got. */
    private record Pipeline(List<Sent> requests, Map<Long, List<Reply>> replies, Map<Long, String> sent) {
    }

    /**
     * With put: stores 16 outputs (awaited), then sends 64 requests back to back in random order
     * (16 gets of those, 16 gets of unknown actions, 32 puts of new outputs) and only then waits
     * for the replies. Without put: 64 gets of unknown actions. Ends the session (close, end of
     * stdin, end of stdout) so that late and extra replies are in too.
     */
    private static Pipeline pipeline(CheckContext ctx) throws Exception {
        HelperSession s = ctx.open();
        boolean canPut = s.supports(Request.PUT);
        List<ActionId> stored = new ArrayList<>();
        List<OutputId> storedOut = new ArrayList<>();
        if (canPut) {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < STORED_FIRST; i++) {
                ActionId a = ctx.newAction();
                byte[] body = ctx.textBody();
                stored.add(a);
                storedOut.add(OutputId.of(body));
                ids.add(s.sendPut(a, body));
            }
            for (long id : ids) {
                Expect.noError(s.await(id, "a put before the pipeline"), "a put before the pipeline");
            }
        }
        List<Runnable> plan = new ArrayList<>();
        List<Sent> requests = Collections.synchronizedList(new ArrayList<>());
        List<Exception> writeErrors = new ArrayList<>();
        for (int i = 0; i < PIPELINED; i++) {
            int k = i;
            plan.add(() -> {
                try {
                    if (!canPut) {
                        requests.add(new Sent(s.sendGet(ctx.newAction()), Want.NOT_SERVED, null));
                    } else if (k < STORED_FIRST) {
                        requests.add(new Sent(s.sendGet(stored.get(k)), Want.HIT, storedOut.get(k)));
                    } else if (k < 2 * STORED_FIRST) {
                        requests.add(new Sent(s.sendGet(ctx.newAction()), Want.NOT_SERVED, null));
                    } else {
                        byte[] body = ctx.textBody();
                        requests.add(new Sent(s.sendPut(ctx.newAction(), body), Want.STORED,
                                OutputId.of(body)));
                    }
                } catch (java.io.IOException e) {
                    writeErrors.add(e);
                }
            });
        }
        Collections.shuffle(plan, ThreadLocalRandom.current());
        plan.forEach(Runnable::run);
        if (!writeErrors.isEmpty()) {
            throw new CheckFailure("the helper to read " + PIPELINED + " requests written back to back",
                    "writing failed: " + writeErrors.get(0).getMessage());
        }
        long deadline = System.nanoTime() + s.timeout().toNanos();
        for (Sent r : requests) {
            if (System.nanoTime() > deadline) {
                break;
            }
            try {
                s.await(r.id(), "a pipelined request");
            } catch (CheckFailure e) {
                break; // judged below, by each check
            }
        }
        s.end(); // unjudged: the close checks judge how a session ends
        return new Pipeline(List.copyOf(requests), s.replies(), s.sent());
    }

    static List<Check> checks() {
        return List.of(
                Check.of("5.1/1", Section.CONCURRENCY, Level.MUST, "64 pipelined requests are all answered, rightly")
                        .requirement("cmd/go keeps many requests in flight at once (one per action its build runs"
                                + " in parallel) and matches replies to requests by ID: " + PIPELINED
                                + " requests written back to back, gets and puts mixed, each get a reply, in any"
                                + " order, with the right answer.")
                        .needs(Check.Need.GET)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            Pipeline p = pipeline(ctx);
                            List<String> wrong = new ArrayList<>();
                            int missing = 0;
                            for (Sent r : p.requests()) {
                                List<Reply> got = p.replies().get(r.id());
                                if (got == null) {
                                    missing++;
                                    if (wrong.size() < 3) {
                                        wrong.add("ID " + r.id() + ": no reply");
                                    }
                                    continue;
                                }
                                String problem = judge(r, got.get(0));
                                if (problem != null) {
                                    wrong.add("ID " + r.id() + ": " + problem);
                                }
                            }
                            if (!wrong.isEmpty()) {
                                throw new CheckFailure("a right reply to each of " + PIPELINED + " requests",
                                        (missing > 0 ? missing + " unanswered; " : "")
                                                + String.join("; ", wrong.subList(0, Math.min(3, wrong.size()))));
                            }
                            return "";
                        }),
                Check.of("5.1/2", Section.CONCURRENCY, Level.MUST, "no request is answered twice")
                        .requirement("Each request gets exactly one reply: cmd/go forgets an ID once it is"
                                + " answered, so a second reply is one for an unknown request, on which it exits"
                                + " (\"GOCACHEPROG sent response for unknown request ID\").")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            Pipeline p = pipeline(ctx);
                            List<String> twice = new ArrayList<>();
                            p.replies().forEach((id, rs) -> {
                                if (p.sent().containsKey(id) && rs.size() > 1) {
                                    twice.add("ID " + id + " answered " + rs.size() + " times");
                                }
                            });
                            if (!twice.isEmpty()) {
                                throw new CheckFailure("one reply per request", String.join("; ", twice));
                            }
                            return "";
                        }),
                Check.of("5.1/3", Section.CONCURRENCY, Level.MUST, "no reply carries an ID that was never sent")
                        .requirement("Every reply after the handshake answers a request that was sent: cmd/go"
                                + " exits at a reply for an ID it has not sent (\"GOCACHEPROG sent response for"
                                + " unknown request ID\"), a second ID 0 included.")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            Pipeline p = pipeline(ctx);
                            List<String> phantom = new ArrayList<>();
                            p.replies().forEach((id, rs) -> {
                                if (!p.sent().containsKey(id)) {
                                    phantom.add(rs.get(0).brief());
                                }
                            });
                            if (!phantom.isEmpty()) {
                                throw new CheckFailure("replies only for the " + p.sent().size() + " IDs sent",
                                        phantom.size() + " other(s): " + String.join("; ", phantom));
                            }
                            return "";
                        }));
    }

    private static String judge(Sent r, Reply got) {
        switch (r.want()) {
            case HIT:
                if (!got.isHit()) {
                    return "want a hit, got " + got.brief();
                }
                if (!Arrays.equals(got.rawOutputId(), r.output().bytes())) {
                    return "want OutputID " + Expect.hex(r.output().bytes()) + ", got " + got.brief();
                }
                return null;
            case NOT_SERVED:
                return got.isHit() ? "want a miss, got " + got.brief() : null;
            default:
                if (got.isError()) {
                    return "want the put stored, got " + got.brief();
                }
                return got.diskPath() == null ? "want a DiskPath, got " + got.brief() : null;
        }
    }
}
