/**
 * The storage SPI: what a cache backend promises to the helper.
 *
 * <p>Glossary, one name per idea:
 * <dl>
 *   <dt>Storage</dt>
 *   <dd>{@link dev.larder.storage.Storage}, what the helper serves from: each action's output as
 *       an {@link dev.larder.storage.Entry}, a record with a local file of its bytes. One store
 *       or several tiers behind one interface.</dd>
 *   <dt>Backend</dt>
 *   <dd>{@link dev.larder.storage.Backend}, one tier as a {@link dev.larder.storage.StorageProvider}
 *       opens it for a URI scheme: records by action, bodies by output id. The plugin SPI.</dd>
 *   <dt>tier</dt>
 *   <dd>One level of a cache, as one {@code --store} value names it, nearest first. The nearest
 *       tier is always a local store, whose files cmd/go reads; the others, far tiers, may be any
 *       backend (package {@code tier} stacks them).</dd>
 *   <dt>store</dt>
 *   <dd>One place outputs are kept. <em>The local store</em> is larder's own, on local disk:
 *       {@code dev.larder.storage.h2.LocalStore}, scheme {@code h2:}.</dd>
 *   <dt>record</dt>
 *   <dd>What a tier keeps for one action: {@link dev.larder.storage.StoredOutput} (output id,
 *       size, time). A remote cache keeps it under {@code /ac/}. ({@code SessionRecord}, a
 *       finished session's counters, is not a record in this sense.)</dd>
 * </dl>
 *
 * <p>Configuration that a library type takes is a record named {@code ...Settings}
 * ({@code TierSettings}, {@code TrimSettings}); {@code ...Options} names only the cli's picocli
 * mixins that fill them from flags.
 *
 * <p>What lives here: those types; {@link dev.larder.storage.Digest}, the value type of action
 * and output ids; {@link dev.larder.storage.BodyMismatchException}, the one error a backend
 * raises for a body that is not what its put declared; {@link dev.larder.storage.BackendContext},
 * what a provider may use. Backends live in sub-packages, one each ({@code h2} is the local
 * store, {@code http} the remote cache's client), and never import each other; {@code tier}
 * stacks them, {@code server} serves a local store to other machines, {@code bazel} holds the
 * remote cache's wire format that client and server share.
 *
 * <p>What does not: the wire protocol and anything about cmd/go. This module knows no other
 * larder module, so it names actions and outputs with its own {@link dev.larder.storage.Digest}.
 */
package dev.larder.storage;
