/**
 * The Bazel HTTP remote-cache protocol, larder's wire format for sharing a cache between
 * machines (bazel-remote, nginx with WebDAV PUT, {@code larder serve}).
 *
 * <p>What lives here: {@link dev.larder.storage.http.ActionRecord}, the {@code /ac/} value, a
 * Bazel {@code ActionResult} protobuf written and read by hand;
 * {@link dev.larder.storage.http.CacheServer}, which serves a local store over the protocol; and
 * {@link dev.larder.storage.http.HttpRemote}, a client that verifies every body it fetches and
 * is the {@code http:}/{@code https:} backend, opened by
 * {@link dev.larder.storage.http.HttpProvider}. What does not: tiers (package {@code tier}).
 */
package dev.larder.storage.http;
