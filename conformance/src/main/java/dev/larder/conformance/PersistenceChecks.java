package dev.larder.conformance;

import dev.larder.protocol.ActionId;
import java.util.List;

/** Section 8: what a persistent store keeps across helper processes. */
final class PersistenceChecks {
    private PersistenceChecks() {
    }

    static List<Check> checks() {
        return List.of(
                Check.of("8.1/1", Section.PERSISTENCE, Level.MUST, "puts are hits after the helper restarts")
                        .requirement("A helper with a persistent store (--persistent says this one has) serves"
                                + " after a restart, with the same command, what was put before: cmd/go starts a"
                                + " new helper for every go command, so a store that forgets caches nothing.")
                        .needs(Check.Need.GET, Check.Need.PUT, Check.Need.PERSISTENT)
                        .alsoRequires("3.2/1", "3.2/3", "4.1/1")
                        .body(ctx -> {
                            HelperSession first = ctx.open();
                            ActionId action = ctx.newAction();
                            byte[] body = ctx.textBody();
                            Expect.noError(first.put(action, body), "the put");
                            first.end();
                            HelperSession second = ctx.open();
                            Expect.serves(second.get(action), body, "a get, after a restart, of an action put before");
                            return "";
                        }));
    }
}
