/**
 * The local store, larder's default backend: an H2 database file as the index beside
 * content-addressed blob files.
 *
 * <p>Layout of a store directory: {@code index.mv.db} (the H2 index: action id to output id,
 * size, put time, last use), {@code blobs/ab/abcd...} (one file per distinct output, named by
 * its lowercase hex SHA-256 without extension, fanned out by its first two characters) and
 * {@code tmp/} (bodies being received). A blob is written to {@code tmp/}, fsynced and renamed
 * into place before the index row that names it is written, so the index never points at a
 * partial file. The same body put for many actions is stored once.
 *
 * <p>What does not live here: eviction, other backends, the protocol.
 */
package dev.larder.storage.h2;
