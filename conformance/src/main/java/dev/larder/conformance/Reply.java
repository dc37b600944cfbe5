package dev.larder.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One JSON object the helper wrote on stdout, read leniently so that a wrong field type does not
 * hide everything else the response says ({@link #typeProblems()} judges the types strictly, as
 * cmd/go's {@code encoding/json} would).
 */
final class Reply {
    /** Stands for an {@code ID} that is missing or not a number. */
    static final long NO_ID = Long.MIN_VALUE;

    private final int line;
    private final String text;
    private final ObjectNode node;

    Reply(int line, String text, ObjectNode node) {
        this.line = line;
        this.text = text;
        this.node = node;
    }

    /** The 1-based number of the stdout line this reply was on. */
    int line() {
        return line;
    }

    /** The line as written, cut to 200 characters. */
    String brief() {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...(" + text.length() + " chars)";
    }

    long id() {
        JsonNode n = node.get("ID");
        if (n == null) {
            return NO_ID;
        }
        if (n.isIntegralNumber() || n.isTextual() && n.asText().matches("-?\\d{1,18}")) {
            return n.asLong();
        }
        return NO_ID;
    }

    boolean has(String field) {
        JsonNode n = node.get(field);
        return n != null && !n.isNull();
    }

    /** The {@code Err} text, or null when there is none. */
    String err() {
        JsonNode n = node.get("Err");
        if (n == null || n.isNull()) {
            return null;
        }
        String s = n.isTextual() ? n.asText() : n.toString();
        return s.isEmpty() ? null : s;
    }

    boolean isError() {
        return err() != null;
    }

    boolean miss() {
        JsonNode n = node.get("Miss");
        return n != null && n.asBoolean(false);
    }

    /** A hit: no error, no miss, an output id. */
    boolean isHit() {
        return !isError() && !miss() && rawOutputId() != null;
    }

    /**
     * The decoded {@code OutputID} as sent, of any length (a helper may send a wrong one), or
     * null when missing or not base64.
     */
    byte[] rawOutputId() {
        JsonNode n = node.get("OutputID");
        if (n == null || !n.isTextual()) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The {@code Size}, 0 when missing (Go's zero value), -1 when it is no number at all. */
    long size() {
        JsonNode n = node.get("Size");
        if (n == null || n.isNull()) {
            return 0;
        }
        if (n.isIntegralNumber() || n.isTextual() && n.asText().matches("-?\\d{1,18}")) {
            return n.asLong();
        }
        return -1;
    }

    /** The {@code Time} as written, or null. */
    String time() {
        JsonNode n = node.get("Time");
        return n == null || n.isNull() ? null : n.isTextual() ? n.asText() : n.toString();
    }

    /** The {@code DiskPath}, or null when missing or empty. */
    String diskPath() {
        JsonNode n = node.get("DiskPath");
        if (n == null || n.isNull()) {
            return null;
        }
        String s = n.isTextual() ? n.asText() : n.toString();
        return s.isEmpty() ? null : s;
    }

    /** The {@code KnownCommands} strings, or null when the field is missing or not a list. */
    List<String> knownCommands() {
        JsonNode n = node.get("KnownCommands");
        if (n == null || !n.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        n.forEach(e -> out.add(e.isTextual() ? e.asText() : e.toString()));
        return out;
    }

    /**
     * Every field whose JSON type cmd/go's {@code cacheprog.Response} would refuse to decode
     * ({@code encoding/json} fails the whole response, and cmd/go exits with "error reading JSON
     * from GOCACHEPROG"). Null is always accepted, as Go accepts it; unknown fields are ignored.
     */
    List<String> typeProblems() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> f : iterable(node)) {
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (v.isNull()) {
                continue;
            }
            String want = switch (name) {
                case "ID", "Size" -> v.isIntegralNumber() && v.canConvertToLong() ? null : "an integer";
                case "Err", "DiskPath", "Time" -> v.isTextual() ? null : "a string";
                case "Miss" -> v.isBoolean() ? null : "true or false";
                case "KnownCommands" -> isStringArray(v) ? null : "a list of strings";
                case "OutputID" -> isBase64(v) ? null : "a string of standard base64";
                default -> null;
            };
            if (want != null) {
                problems.add(name + " is " + v + ", cmd/go wants " + want);
            }
        }
        return problems;
    }

    private static boolean isStringArray(JsonNode v) {
        if (!v.isArray()) {
            return false;
        }
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBase64(JsonNode v) {
        if (!v.isTextual()) {
            return false;
        }
        try {
            Base64.getDecoder().decode(v.asText());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(ObjectNode node) {
        return node::fields;
    }

    @Override
    public String toString() {
        return brief();
    }
}
