package dev.larder.conformance;

/** The protocol sections the catalogue is grouped by; a check id starts with its number. */
public enum Section {
    HANDSHAKE(1, "handshake"),
    FRAMING(2, "framing"),
    GET(3, "get"),
    PUT(4, "put"),
    CONCURRENCY(5, "concurrency"),
    CLOSE(6, "close and exit"),
    ROBUSTNESS(7, "robustness"),
    PERSISTENCE(8, "persistence");

    private final int number;
    private final String title;

    Section(int number, String title) {
        this.number = number;
        this.title = title;
    }

    /** The section's number, the first part of its checks' ids. */
    public int number() {
        return number;
    }

    /** A short lowercase title. */
    public String title() {
        return title;
    }
}
