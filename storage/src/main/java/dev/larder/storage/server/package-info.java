/**
 * {@code larder serve}'s server: {@link dev.larder.storage.server.CacheServer} serves a local
 * store ({@code h2}) over the Bazel HTTP remote-cache protocol, for other machines' tiers.
 *
 * <p>It is not a backend, and no backend imports it: it uses the local store's public surface
 * and the wire format in {@code bazel}, which it shares with the {@code http} client. Status
 * codes are chosen here, at the edge. Under it, {@code BoundedHttpServer} (package-private) is
 * the HTTP/1.1 server: one thread per connection, every connection bounded by
 * {@code ConnectionSettings} (how many at once, how long for a request, its headers, its body, its response,
 * each read and write), each request handed over as a {@code BoundedExchange}, the JDK's
 * {@code HttpExchange} surface. What does not live here: the client, tiers.
 */
package dev.larder.storage.server;
