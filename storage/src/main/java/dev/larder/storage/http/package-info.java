/**
 * The {@code http:}/{@code https:} backend: a client of a Bazel HTTP remote cache, larder's
 * wire format for sharing a cache between machines (bazel-remote, nginx with WebDAV PUT,
 * {@code larder serve}).
 *
 * <p>What lives here: {@code HttpRemote} (package-private), a client that verifies every
 * body it fetches, opened by {@link dev.larder.storage.http.HttpProvider}. What does not: the
 * {@code /ac/} record's encoding, which the client shares with larder's own server (package
 * {@code bazel}, so that neither imports the other); the server itself (package
 * {@code server}); tiers (package {@code tier}).
 */
package dev.larder.storage.http;
