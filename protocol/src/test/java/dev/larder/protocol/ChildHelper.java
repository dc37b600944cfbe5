package dev.larder.protocol;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * A tiny helper program that {@link ProtocolClientTest} runs as a real child process, on the same
 * JDK and test classpath. It keeps outputs in memory and checks every put's OutputID against the
 * SHA-256 of the body it received.
 *
 * <p>Modes (the one argument): {@code serve} answers get, put and close; {@code silent} never
 * handshakes and reads its input until the end.
 */
public final class ChildHelper {
    /** The Time of every hit, fixed so that tests can compare it. */
    static final Instant STORED_AT = Instant.parse("2026-11-21T19:09:03.123456789Z");

    private record Stored(OutputId output, long size) {
    }

    private ChildHelper() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length == 1 ? args[0] : "";
        switch (mode) {
            case "serve" -> serve();
            case "silent" -> System.in.transferTo(OutputStream.nullOutputStream());
            default -> {
                System.err.println("child helper: got mode \"" + mode + "\", want serve or silent");
                System.exit(2);
            }
        }
    }

    private static void serve() throws Exception {
        Map<ActionId, Stored> stored = new HashMap<>();
        RequestReader reader = new RequestReader(System.in);
        try (ResponseWriter out = new ResponseWriter(new FileOutputStream(FileDescriptor.out))) {
            out.write(Response.handshake(List.of(Request.GET, Request.PUT, Request.CLOSE)));
            RequestReader.Incoming in;
            while ((in = reader.next()) != null) {
                Request r = in.request();
                switch (r.command()) {
                    case Request.GET -> {
                        Stored s = stored.get(r.actionId());
                        out.write(s == null ? Response.miss(r.id())
                                : Response.found(r.id(), s.output(), s.size(), STORED_AT, null));
                    }
                    case Request.PUT -> {
                        MessageDigest sha = DigestUtils.getSha256Digest();
                        long size = 0;
                        if (in.body() != null) {
                            try (InputStream body = new DigestInputStream(in.body(), sha)) {
                                size = body.transferTo(OutputStream.nullOutputStream());
                            }
                        }
                        OutputId got = new OutputId(sha.digest());
                        if (!got.equals(r.outputId()) || size != r.bodySize()) {
                            out.write(Response.error(r.id(), "put: got " + size + " bytes hashing to " + got
                                    + ", want " + r.bodySize() + " hashing to " + r.outputId()));
                        } else {
                            stored.put(r.actionId(), new Stored(got, size));
                            out.write(Response.found(r.id(), got, size, null, null));
                        }
                    }
                    case Request.CLOSE -> out.write(Response.closed(r.id()));
                    default -> out.write(Response.error(r.id(), "unknown command " + r.command()));
                }
            }
        }
    }
}
