package dev.larder.conformance;

/**
 * Thrown by a check body when the helper broke the requirement: what the check expected and
 * what it actually saw, each one line a reader can compare.
 */
final class CheckFailure extends Exception {
    private final String expected;
    private final String actual;

    CheckFailure(String expected, String actual) {
        super("expected " + expected + ", got " + actual);
        this.expected = expected;
        this.actual = actual;
    }

    String expected() {
        return expected;
    }

    String actual() {
        return actual;
    }
}
