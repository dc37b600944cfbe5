package dev.larder.conformance;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

/** Section 3: get, on a miss and after a put. */
final class GetChecks {
    /** Go's time.RFC3339Nano as time.Time.UnmarshalJSON accepts it: seconds required, zone required. */
    private static final Pattern RFC3339 =
            Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})");
    private static final Duration CLOCK_SLACK = Duration.ofSeconds(1);

    private GetChecks() {
    }

    /** A put of a fresh body, then a get of its action, in one session. */
    private record PutThenGet(byte[] body, Reply put, Reply get, Instant gotAt) {
    }

    private static PutThenGet putThenGet(CheckContext ctx) throws Exception {
        HelperSession s = ctx.open();
        ActionId action = ctx.newAction();
        byte[] body = ctx.textBody();
        Reply put = s.put(action, body);
        Expect.noError(put, "the put");
        Reply get = s.get(action);
        Instant gotAt = Instant.now();
        Expect.hit(get, "a get after its put");
        return new PutThenGet(body, put, get, gotAt);
    }

    static List<Check> checks() {
        return List.of(
                Check.of("3.1/1", Section.GET, Level.MUST, "get of an unknown action is a miss")
                        .requirement("A get for an action the helper does not have is answered with Miss and no"
                                + " Err: cmd/go's ProgCache.Get hands an Err back as an error of the cache, not as"
                                + " the not-found a miss is.")
                        .needs(Check.Need.GET)
                        .body(ctx -> {
                            HelperSession s = ctx.open();
                            Reply r = s.get(ctx.newAction());
                            if (r.isError() || !r.miss()) {
                                throw new CheckFailure("{\"ID\":" + r.id() + ",\"Miss\":true}", r.brief());
                            }
                            return "";
                        }),
                Check.of("3.2/1", Section.GET, Level.MUST, "get after put returns the put's OutputID")
                        .requirement("A get after a put of the same action is a hit whose OutputID is the one"
                                + " put: cmd/go checks the bytes it reads against it.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            PutThenGet pg = putThenGet(ctx);
                            Expect.outputId(pg.get(), OutputId.of(pg.body()), "the hit");
                            return "";
                        }),
                Check.of("3.2/2", Section.GET, Level.MUST, "a hit's Size is the size put and the file's size")
                        .requirement("A hit's Size is the number of bytes put, which is also the size of the file"
                                + " at its DiskPath: cmd/go's GetFile treats a file of another size as"
                                + " \"file incomplete\" and rebuilds.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            PutThenGet pg = putThenGet(ctx);
                            if (pg.get().size() != pg.body().length) {
                                throw new CheckFailure("Size " + pg.body().length,
                                        pg.get().has("Size") ? "Size " + pg.get().size() : "no Size: " + pg.get().brief());
                            }
                            String dp = pg.get().diskPath();
                            if (dp != null && Path.of(dp).isAbsolute()) {
                                long onDisk;
                                try {
                                    onDisk = Files.size(Path.of(dp));
                                } catch (IOException e) {
                                    return "the DiskPath cannot be read (see 3.2/3)";
                                }
                                if (onDisk != pg.get().size()) {
                                    throw new CheckFailure("a file of Size " + pg.get().size() + " bytes at " + dp,
                                            onDisk + " bytes");
                                }
                            }
                            return "";
                        }),
                Check.of("3.2/3", Section.GET, Level.MUST, "a hit's DiskPath is absolute and holds the bytes put")
                        .requirement("A hit carries DiskPath, the absolute path of a local file holding exactly"
                                + " the bytes put: cmd/go treats a hit without one as a miss (\"GOCACHEPROG didn't"
                                + " populate DiskPath on get hit\") and reads the file from its own working"
                                + " directory.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            PutThenGet pg = putThenGet(ctx);
                            Expect.diskPathHolds(pg.get(), pg.body(), "the hit");
                            return "";
                        }),
                Check.of("3.2/4", Section.GET, Level.MUST, "a hit's Time, if present, is RFC 3339")
                        .requirement("A hit's Time, which is optional, is an RFC 3339 time such as"
                                + " 2026-11-21T20:01:02.123456789Z: cmd/go decodes it into a time.Time, and"
                                + " encoding/json fails the whole response on any other format.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .body(ctx -> {
                            PutThenGet pg = putThenGet(ctx);
                            String t = pg.get().time();
                            if (t == null) {
                                return "no Time (it is optional)";
                            }
                            parseTime(t);
                            return "Time " + t;
                        }),
                Check.of("3.2/5", Section.GET, Level.SHOULD, "a hit's Time is not in the future")
                        .requirement("A hit's Time is when the output was put, so never later than the reply"
                                + " (1 s is allowed for clock granularity): cmd/go takes it as the entry's time.")
                        .needs(Check.Need.GET, Check.Need.PUT)
                        .requires("1.1/1", "1.1/2", "1.1/3", "3.2/4")
                        .body(ctx -> {
                            PutThenGet pg = putThenGet(ctx);
                            String t = pg.get().time();
                            if (t == null) {
                                return "no Time (it is optional)";
                            }
                            Instant when = parseTime(t);
                            if (when.isAfter(pg.gotAt().plus(CLOCK_SLACK))) {
                                throw new CheckFailure("a Time no later than the reply (" + pg.gotAt() + ")",
                                        "Time " + t + ", " + Duration.between(pg.gotAt(), when).toSeconds()
                                                + " s in the future");
                            }
                            return "";
                        }));
    }

    private static Instant parseTime(String t) throws CheckFailure {
        String want = "an RFC 3339 time like 2026-11-21T20:01:02.123456789Z";
        if (!RFC3339.matcher(t).matches()) {
            throw new CheckFailure(want, "Time \"" + t + "\"");
        }
        try {
            return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(t, Instant::from);
        } catch (DateTimeParseException e) {
            throw new CheckFailure(want, "Time \"" + t + "\" (" + e.getMessage() + ")");
        }
    }
}
