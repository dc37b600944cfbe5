/**
 * The local store, larder's default backend: an H2 database file as the index beside
 * content-addressed blob files. Its one public name is {@link dev.larder.storage.h2.LocalStore}
 * ({@code LocalStore.open(dir)}); {@link dev.larder.storage.h2.LocalStoreProvider} opens it for
 * {@code h2:} URIs; the implementations are package-private.
 *
 * <p>Layout of a store directory: {@code index.mv.db} (the H2 index: action id to output id,
 * size, put time, last use), {@code blobs/ab/abcd...} (one file per distinct output, named by
 * its lowercase hex SHA-256 without extension, fanned out by its first two characters) and
 * {@code tmp/} (bodies being received); the directory is also the store's
 * {@link dev.larder.storage.Storage#clientDirectory() client directory}, where tiers keep
 * {@code prefetch/} lists. A blob is written to {@code tmp/}, fsynced and renamed
 * into place before the index row that names it is written, so the index never points at a
 * partial file. The same body put for many actions is stored once. A blob is hashed before it
 * is first served, and again whenever its stat changed ({@link dev.larder.storage.h2.BlobStat}).
 *
 * <p>One process owns each store: whoever holds its {@code server.lock} has the H2 index open
 * ({@code IndexHost}, the one home of ownership) and serves it on loopback to every other larder
 * process using the store. The owner is the daemon, which owns every store it opens and shares
 * one open store between its sessions ({@link dev.larder.storage.h2.LocalStore#hostInProcess},
 * {@code HostedStores}), or, for processes without a daemon, a standalone
 * {@link dev.larder.storage.h2.IndexServer} that {@code IndexClient} starts on demand. Upkeep
 * (trim, stats, verify) lives here too, behind {@link dev.larder.storage.h2.LocalStore}.
 *
 * <p>Inside, one class per concern, all package-private: {@code H2Store} (get, put, link: the
 * store itself), {@code Index} (connections to the index and the retry across a change of
 * owner), {@code IndexSchema} (the tables), {@code IndexRows} and its typed {@code EntryRow}
 * (the statements gets and puts share), {@code SessionRows}, {@code BlobFiles} (blob paths, temp
 * files, the verified receive and the rename into place), {@code BlobLocks} (the row locks every
 * change to a blob file is made under, one object shared by the store and {@code Upkeep}),
 * {@code BlobCheck} (whether a blob may be served), {@code BlobStat} (the "too fresh to trust
 * its stat" rule), {@code HotRows} (recent hits) and {@code StoreAccess} (who may read the store's
 * files: its user alone, or the group of a set-group-ID store directory, and the modes that say so).
 *
 * <p>What does not live here: other backends (it imports none), the server that serves a store
 * to other machines (package {@code server}), the protocol.
 */
package dev.larder.storage.h2;
