/**
 * The Bazel HTTP remote-cache protocol, larder's wire format for sharing a cache between
 * machines (bazel-remote, nginx with WebDAV PUT, {@code larder serve}).
 *
 * <p>What lives here: {@link dev.larder.storage.http.ActionRecord}, the {@code /ac/} value, a
 * Bazel {@code ActionResult} protobuf written and read by hand;
 * {@link dev.larder.storage.http.CacheServer}, which serves a local store over the protocol; and
 * {@link dev.larder.storage.http.HttpRemote}, a client that verifies every body it fetches.
 * What does not (yet): tiers of stores, which make a remote usable behind the helper.
 */
package dev.larder.storage.http;
