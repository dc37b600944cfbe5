/**
 * The GOCACHEPROG wire protocol spoken between cmd/go and a cache helper.
 *
 * <p>What lives here: the value types {@link dev.larder.protocol.ActionId} and
 * {@link dev.larder.protocol.OutputId}; the wire records {@link dev.larder.protocol.Request} and
 * {@link dev.larder.protocol.Response} with Go's field names (their id fields are the raw wire
 * bytes, named {@code raw...}; {@code actionId()} and {@code outputId()} validate them);
 * {@link dev.larder.protocol.ProtocolException}, input that cannot be framed; the helper side's
 * {@link dev.larder.protocol.RequestReader} (framing, streamed base64 bodies) and
 * {@link dev.larder.protocol.ResponseWriter}; and {@link dev.larder.protocol.ProtocolClient}, a
 * client that behaves like cmd/go's {@code cmd/go/internal/cache/prog.go}.
 *
 * <p>What does not: storage, caching policy, processes other than the helper a client spawns.
 * This module depends only on Jackson and Commons Codec (SHA-256, for {@code OutputId.of}).
 *
 * <p>The framing, as cmd/go writes it: each request is one JSON object on a line, followed by a
 * blank line; a {@code put} whose {@code BodySize} is positive is followed by one more line
 * holding the body as a JSON string of standard, padded base64. Responses are one JSON object
 * per line, in any order, matched to requests by {@code ID}. The helper speaks first, with an
 * unsolicited response of ID 0 listing its {@code KnownCommands}; cmd/go numbers its requests
 * from 1, as JSON integers, and {@link dev.larder.protocol.RequestReader} accepts no other IDs.
 */
package dev.larder.protocol;
