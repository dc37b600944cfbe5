/**
 * Tiers of stores behind one {@link dev.larder.storage.Storage}: what {@code --store} builds.
 *
 * <p>What lives here: {@link dev.larder.storage.tier.StoreSpec}, one {@code --store} value
 * (scheme, URI, {@code readonly:}); {@link dev.larder.storage.tier.Stores}, which finds providers
 * with {@link java.util.ServiceLoader} and opens the tiers; and the tiered store itself: nearest
 * first, far hits verified and copied near, puts uploaded in the background, failing far tiers
 * turned into misses. Every tier is opened through its scheme's provider, the default local
 * store too: this package imports no backend. What does not live here: any backend's own
 * protocol (those live in {@code h2}, {@code http} and plugins).
 */
package dev.larder.storage.tier;
