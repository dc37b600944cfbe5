package dev.larder.storage.tier;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code --store} value: a backend's URI, and whether larder may write to it.
 *
 * <p>Accepted forms: {@code h2:PATH} (the local store in PATH), {@code http://…} and
 * {@code https://…} (a Bazel HTTP remote cache), {@code SCHEME:…} for a scheme a plugin
 * provides, each optionally prefixed by {@code readonly:}. A bare path ({@code /var/cache/x},
 * {@code ./x}, {@code ~/x}) means {@code h2:} that path.
 *
 * @param text     the value as given, for messages
 * @param uri      the backend's URI, without {@code readonly:}; its scheme is lowercase
 * @param readOnly whether writes to it are refused
 */
public record StoreSpec(String text, URI uri, boolean readOnly) {
    private static final String READONLY = "readonly:";
    /** The local store's scheme, as its provider ({@code LocalStoreProvider}) serves it. */
    private static final String LOCAL_SCHEME = "h2";
    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):(.*)", Pattern.DOTALL);

    public StoreSpec {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(uri, "uri");
    }

    /**
     * Parses one store value.
     *
     * @throws IllegalArgumentException with a message naming the value and the accepted forms
     */
    public static StoreSpec parse(String text) {
        String rest = text.strip();
        boolean readOnly = false;
        while (rest.regionMatches(true, 0, READONLY, 0, READONLY.length())) {
            readOnly = true;
            rest = rest.substring(READONLY.length());
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("store " + quote(text) + ": empty; " + FORMS);
        }
        if (rest.startsWith("/") || rest.startsWith(".") || rest.startsWith("~")) {
            // A path, taken as it is: never decoded as a URI (%41 stays %41, # is no fragment).
            return local(text, rest, readOnly);
        }
        Matcher m = SCHEME.matcher(rest);
        if (!m.matches()) {
            throw new IllegalArgumentException("store " + quote(text) + ": no scheme; " + FORMS);
        }
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        String ssp = m.group(2);
        if (ssp.isEmpty()) {
            throw new IllegalArgumentException("store " + quote(text) + ": nothing after " + scheme + ":; " + FORMS);
        }
        URI uri;
        try {
            uri = new URI(scheme + ":" + ssp);
        } catch (URISyntaxException e) {
            try {
                // A path with spaces or other characters a URI must quote: quote them.
                uri = new URI(scheme, ssp, null);
            } catch (URISyntaxException e2) {
                throw new IllegalArgumentException("store " + quote(text) + ": " + e.getMessage(), e);
            }
        }
        return new StoreSpec(text, uri, readOnly);
    }

    /**
     * This value with a relative {@code h2:} path resolved against {@code dir}: what a process
     * serving another process's command line (the daemon) uses instead of its own working
     * directory. Other values, absolute paths and {@code ~} paths are returned as they are.
     */
    public StoreSpec absolute(Path dir) {
        if (!isLocal()) {
            return this;
        }
        String p = uri.getSchemeSpecificPart();
        if (p == null || p.isEmpty() || p.startsWith("/") || p.equals("~") || p.startsWith("~/")) {
            return this;
        }
        return local(text, dir.resolve(p).normalize().toString(), readOnly);
    }

    /** The local store in {@code dir} (made absolute), writable: what the default local store's value would be. */
    public static StoreSpec local(Path dir) {
        String path = dir.toAbsolutePath().normalize().toString();
        return local(path, path, false);
    }

    /** An {@code h2:} value for {@code path}, taken as it is. */
    private static StoreSpec local(String text, String path, boolean readOnly) {
        try {
            return new StoreSpec(text, new URI(LOCAL_SCHEME, path, null), readOnly);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("store " + quote(text) + ": " + e.getMessage(), e);
        }
    }

    /** Parses a {@code $LARDER_STORE} value: store values separated by commas, like GOPROXY. */
    public static List<StoreSpec> parseList(String list) {
        List<StoreSpec> specs = new ArrayList<>();
        for (String part : list.split(",")) {
            if (!part.isBlank()) {
                specs.add(parse(part));
            }
        }
        return specs;
    }

    /**
     * Whether this is a local store ({@code h2:}), the only kind of tier that can be the nearest:
     * larder's one answer to "is this tier local?", known before anything is opened. The nearest
     * tier's backend is then asked for its store ({@code Backend.local()}); no other test is made.
     */
    public boolean isLocal() {
        return LOCAL_SCHEME.equals(uri.getScheme());
    }

    /** The URI's scheme, lowercase. */
    public String scheme() {
        return uri.getScheme();
    }

    /** The value for messages and logs: as given, except that credentials in a URI are left out. */
    public String display() {
        return uri.getRawUserInfo() == null ? text.strip() : (readOnly ? READONLY : "") + redacted(uri);
    }

    /** The normalised value ({@code readonly:} and the URI), credentials left out. */
    @Override
    public String toString() {
        return (readOnly ? READONLY : "") + redacted(uri);
    }

    private static String redacted(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(),
                    uri.getFragment()).toString();
        } catch (URISyntaxException e) {
            return uri.getScheme() + "://(credentials hidden)";
        }
    }

    static final String FORMS = "want h2:PATH, http://HOST[:PORT][/PREFIX], https://…, a plugin's SCHEME:…, "
            + "each optionally after readonly:";

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
