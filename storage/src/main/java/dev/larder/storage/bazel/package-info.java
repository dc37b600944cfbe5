/**
 * The Bazel remote-cache wire format, as both ends of larder's HTTP remote cache speak it:
 * {@link dev.larder.storage.bazel.ActionResultCodec}, the {@code /ac/} value (a
 * {@link dev.larder.storage.StoredOutput} as a Bazel {@code ActionResult} protobuf, written and
 * read by hand).
 *
 * <p>It is a package of its own because two packages that must not import each other use it: the
 * client backend ({@code http}) and the server ({@code server}, which serves the local store).
 * What does not live here: any HTTP, any store.
 */
package dev.larder.storage.bazel;
