package dev.larder.conformance;

/** How binding a check's requirement is. */
public enum Level {
    /** cmd/go would fail or misbehave with a helper that breaks it. */
    MUST,
    /** Robustness that users of a helper expect; cmd/go itself would not notice. */
    SHOULD
}
