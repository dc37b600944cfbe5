/**
 * The remote backend's wire formats: what larder stores in a Bazel HTTP remote cache
 * (bazel-remote, nginx with WebDAV PUT, {@code larder serve}).
 *
 * <p>What lives here: {@link dev.larder.storage.http.ActionRecord}, the {@code /ac/} value, a
 * Bazel {@code ActionResult} protobuf written and read by hand. What does not (yet): the HTTP
 * client and server, and tiers of stores; they come with the backends issue.
 */
package dev.larder.storage.http;
