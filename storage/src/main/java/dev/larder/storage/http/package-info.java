/**
 * The Bazel HTTP remote-cache protocol, larder's wire format for sharing a cache between
 * machines (bazel-remote, nginx with WebDAV PUT, {@code larder serve}).
 *
 * <p>What lives here: {@link dev.larder.storage.http.ActionRecord}, the {@code /ac/} value, a
 * Bazel {@code ActionResult} protobuf written and read by hand; and
 * {@link dev.larder.storage.http.CacheServer}, which serves a local store over the protocol.
 * What does not (yet): the client side and tiers of stores.
 */
package dev.larder.storage.http;
