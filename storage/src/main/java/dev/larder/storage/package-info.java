/**
 * The storage SPI: what a cache backend promises to the helper.
 *
 * <p>What lives here: {@link dev.larder.storage.Storage}, the contract every backend implements;
 * its value types {@link dev.larder.storage.Digest} and {@link dev.larder.storage.Entry}; and
 * {@link dev.larder.storage.BodyMismatchException}, the one error a backend raises for a body
 * that is not what its put declared; and the plugin SPI, {@link dev.larder.storage.StorageProvider}
 * opening a {@link dev.larder.storage.Backend} (one tier) for a URI scheme. Backends live in
 * sub-packages, one each ({@code dev.larder.storage.h2} is the local default,
 * {@code dev.larder.storage.http} the remote cache); {@code dev.larder.storage.tier} stacks them.
 *
 * <p>What does not: the wire protocol and anything about cmd/go. This module knows no other
 * larder module, so it names actions and outputs with its own {@link dev.larder.storage.Digest}.
 */
package dev.larder.storage;
