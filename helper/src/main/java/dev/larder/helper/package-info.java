/**
 * The GOCACHEPROG helper: one protocol session served from a {@link dev.larder.storage.Storage}.
 *
 * <p>What lives here: {@link dev.larder.helper.CacheHelper}, which answers cmd/go's get, put and
 * close requests concurrently, and {@link dev.larder.helper.HelperStats}, its counters.
 *
 * <p>What does not: choosing or opening a store (the cli does, and hands an opener in), the wire
 * format (module {@code protocol}), process exit codes (only {@code main} picks them).
 */
package dev.larder.helper;
