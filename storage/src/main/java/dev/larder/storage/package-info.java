/**
 * The storage SPI: what a cache backend promises to the helper.
 *
 * <p>What lives here: {@link dev.larder.storage.Storage}, the contract every backend implements;
 * its value types {@link dev.larder.storage.Digest} and {@link dev.larder.storage.Entry}; and
 * {@link dev.larder.storage.BodyMismatchException}, the one error a backend raises for a body
 * that is not what its put declared. Backends live in sub-packages, one each
 * ({@code dev.larder.storage.h2} is the local default).
 *
 * <p>What does not: the wire protocol and anything about cmd/go. This module knows no other
 * larder module, so it names actions and outputs with its own {@link dev.larder.storage.Digest}.
 */
package dev.larder.storage;
