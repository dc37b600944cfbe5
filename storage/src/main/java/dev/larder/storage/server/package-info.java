/**
 * {@code larder serve}'s server: {@link dev.larder.storage.server.CacheServer} serves a local
 * store ({@code h2}) over the Bazel HTTP remote-cache protocol, for other machines' tiers.
 *
 * <p>It is not a backend, and no backend imports it: it uses the local store's public surface
 * and the wire format in {@code bazel}, which it shares with the {@code http} client. Status
 * codes are chosen here, at the edge. What does not live here: the client, tiers.
 */
package dev.larder.storage.server;
