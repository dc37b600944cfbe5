package dev.larder.conformance;

/** Thrown by a check body that finds the requirement does not apply to this helper. */
final class CheckSkipped extends Exception {
    CheckSkipped(String reason) {
        super(reason);
    }
}
