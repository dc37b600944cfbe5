package dev.larder.cli;

import dev.larder.storage.trust.RecordKeys;
import dev.larder.storage.trust.SigningKey;
import dev.larder.storage.trust.TrustedKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The record-signing options of the commands that write to or read from shared caches
 * ({@code helper}, {@code run}, {@code serve}): the key that signs what this process writes, and
 * the public keys whose records it believes. Each has its environment variable, for CI.
 */
final class KeyOptions {
    @Option(names = "--sign-key", paramLabel = "FILE",
            description = "Sign the records this command writes for others with the Ed25519 private key in FILE "
                    + "(helper, run: every record written to a far tier; serve: records PUT without a trusted "
                    + "signature) (or $LARDER_SIGN_KEY); larder keygen writes one.")
    Path signKey;

    @Option(names = "--trust-key", paramLabel = "FILE.pub",
            description = "Believe a record only if the key in FILE.pub signed it (helper, run: records read from "
                    + "far tiers, others are misses; serve: records PUT to it, others get 403); repeatable "
                    + "(or $LARDER_TRUST_KEYS, a file of .pub lines). Without any, every record is believed.")
    List<Path> trustKeys = new ArrayList<>();

    /**
     * Reads the keys the options (else the environment) name.
     *
     * @throws IllegalArgumentException if a key file cannot be read or is not a key (a bad value
     *                                  of the option: a usage error, reported before anything opens)
     */
    RecordKeys resolve(Map<String, String> env) {
        Invocation inv = Invocation.current();
        Optional<SigningKey> signer = Optional.empty();
        String signWhat = signKey != null ? "--sign-key" : "$LARDER_SIGN_KEY";
        Optional<Path> sign = Optional.ofNullable(signKey).or(() -> nonBlank(env.get("LARDER_SIGN_KEY")));
        if (sign.isPresent()) {
            try {
                signer = Optional.of(SigningKey.read(inv.resolve(sign.get())));
            } catch (IOException e) {
                throw new IllegalArgumentException(signWhat + ": " + Main.message(e), e);
            }
        }
        List<Path> trust = new ArrayList<>(trustKeys);
        String trustWhat = "--trust-key";
        if (trust.isEmpty() && nonBlank(env.get("LARDER_TRUST_KEYS")).isPresent()) {
            trust.add(nonBlank(env.get("LARDER_TRUST_KEYS")).get());
            trustWhat = "$LARDER_TRUST_KEYS";
        }
        Optional<TrustedKeys> trusted = Optional.empty();
        if (!trust.isEmpty()) {
            try {
                trusted = Optional.of(TrustedKeys.read(trust.stream().map(inv::resolve).toList()));
            } catch (IOException e) {
                throw new IllegalArgumentException(trustWhat + ": " + Main.message(e), e);
            }
        }
        return new RecordKeys(signer, trusted);
    }

    /** These options as command-line arguments (absolute paths), for a helper run elsewhere (the daemon). */
    List<String> asArgs() {
        Invocation inv = Invocation.current();
        List<String> a = new ArrayList<>();
        if (signKey != null) {
            a.add("--sign-key");
            a.add(inv.resolve(signKey).toString());
        }
        for (Path p : trustKeys) {
            a.add("--trust-key");
            a.add(inv.resolve(p).toString());
        }
        return a;
    }

    private static Optional<Path> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(Path.of(s.strip()));
    }
}
