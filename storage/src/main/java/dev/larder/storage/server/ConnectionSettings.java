package dev.larder.storage.server;

import java.time.Duration;

/**
 * The limits {@code larder serve} puts on every client connection, so that clients that connect
 * and then stall, trickle, or never send a body they declared cannot stop it answering others.
 *
 * @param maxConnections connections open at once; one more closes the connection that has waited
 *                       longest for its next request, or, when none is waiting, is answered 503
 *                       and closed
 * @param idleTimeout    the longest a connection may wait for a request, and the longest one
 *                       read or write may go without progress
 * @param headerTimeout  the longest from a request's first byte to the end of its headers
 * @param minBodyRate    bytes per second a request or response body must average, after one idle
 *                       timeout's grace: a request body of {@code n} bytes must arrive, and a
 *                       response of {@code n} bytes be written, within
 *                       {@code idleTimeout + n / minBodyRate}
 */
record ConnectionSettings(int maxConnections, Duration idleTimeout, Duration headerTimeout, long minBodyRate) {
    /** What {@code larder serve} uses: 1024 connections, 30 s idle, 10 s for headers, 64 KiB/s. */
    static final ConnectionSettings DEFAULTS = new ConnectionSettings(1024, Duration.ofSeconds(30),
            Duration.ofSeconds(10), 64 * 1024);

    ConnectionSettings {
        if (maxConnections < 1 || idleTimeout.isNegative() || idleTimeout.isZero() || headerTimeout.isNegative()
                || headerTimeout.isZero() || minBodyRate < 1) {
            throw new IllegalArgumentException("connection limits must be positive: " + maxConnections + ", "
                    + idleTimeout + ", " + headerTimeout + ", " + minBodyRate);
        }
    }

    /** The time allowed for a request body, or a response body, of {@code length} bytes. */
    Duration bodyTimeout(long length) {
        return idleTimeout.plusSeconds(length / minBodyRate);
    }
}
