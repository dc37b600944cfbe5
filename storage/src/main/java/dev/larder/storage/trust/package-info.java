/**
 * Who may name an output for an action: Ed25519 keys that sign the records larder writes to far
 * tiers ({@link dev.larder.storage.trust.SigningKey}), and the public keys whose signatures make a
 * far tier's record usable ({@link dev.larder.storage.trust.TrustedKeys}). Bodies need none of
 * this: they are verified by content. A record is not: it is a claim ("this action produced that
 * output") that only its writer can vouch for.
 */
package dev.larder.storage.trust;
