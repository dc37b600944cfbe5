package dev.larder.conformance;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * One numbered requirement of the protocol and the procedure that checks it against a helper.
 * Immutable; the catalogue ({@link ConformanceKit#catalogue()}) holds every check in id order.
 */
public final class Check {
    /** What a check needs from the helper before it can apply. */
    public enum Need {
        /** The handshake lists {@code get}. */
        GET,
        /** The handshake lists {@code put} (a read-only helper does not). */
        PUT,
        /** The handshake lists {@code close}. */
        CLOSE,
        /** The user said the helper's store outlives it ({@code --persistent}). */
        PERSISTENT
    }

    /** The procedure: returns a note for the report when it passes, throws otherwise. */
    @FunctionalInterface
    interface Body {
        String run(CheckContext ctx) throws Exception;
    }

    private final String id;
    private final Section section;
    private final Level level;
    private final String title;
    private final String requirement;
    private final Set<Need> needs;
    private final List<String> requires;
    private final boolean runsLast;
    private final Function<Settings, Duration> budget;
    private final Body body;

    private Check(String id, Section section, Level level, String title, String requirement,
            Set<Need> needs, List<String> requires, boolean runsLast, Function<Settings, Duration> budget,
            Body body) {
        this.id = id;
        this.section = section;
        this.level = level;
        this.title = title;
        this.requirement = requirement;
        this.needs = Set.copyOf(needs);
        this.requires = List.copyOf(requires);
        this.runsLast = runsLast;
        this.budget = budget;
        this.body = body;
        if (!id.startsWith(section.number() + ".")) {
            throw new IllegalArgumentException("check " + id + " is not numbered in section " + section.number());
        }
    }

    static Builder of(String id, Section section, Level level, String title) {
        return new Builder(id, section, level, title);
    }

    /** The id, {@code section.group/n}, e.g. {@code 4.2/1}. */
    public String id() {
        return id;
    }

    public Section section() {
        return section;
    }

    public Level level() {
        return level;
    }

    /** A short lowercase summary, what the report prints beside the id. */
    public String title() {
        return title;
    }

    /** The requirement in a full sentence, with the cmd/go behaviour behind it. */
    public String requirement() {
        return requirement;
    }

    /** What the helper must offer for this check to apply; otherwise it is skipped. */
    public Set<Need> needs() {
        return needs;
    }

    /** Ids of checks whose failure makes this one meaningless (it is then skipped). */
    public List<String> requires() {
        return requires;
    }

    /** Whether the check judges the whole run, so it runs after all the others. */
    public boolean runsLast() {
        return runsLast;
    }

    /**
     * How long the whole check may take before the kit kills the helper and fails it: each wait
     * inside is bounded by the timeout, this bounds the writes too (a helper that stops reading
     * its stdin would otherwise block the kit).
     */
    Duration budget(Settings settings) {
        return budget.apply(settings);
    }

    Body body() {
        return body;
    }

    @Override
    public String toString() {
        return id + " " + title;
    }

    /** Assembles a check; every check names its requirement sentence. */
    static final class Builder {
        private final String id;
        private final Section section;
        private final Level level;
        private final String title;
        private String requirement;
        private Set<Need> needs = Set.of();
        private List<String> requires = List.of("1.1/1", "1.1/2", "1.1/3");
        private boolean runsLast;
        private Function<Settings, Duration> budget = s -> s.timeout().multipliedBy(8);

        private Builder(String id, Section section, Level level, String title) {
            this.id = id;
            this.section = section;
            this.level = level;
            this.title = title;
        }

        Builder requirement(String sentence) {
            this.requirement = sentence;
            return this;
        }

        Builder needs(Need... needs) {
            this.needs = Set.of(needs);
            return this;
        }

        /** Replaces the default prerequisites (a working handshake). */
        Builder requires(String... ids) {
            this.requires = List.of(ids);
            return this;
        }

        /**
         * Adds prerequisites: checks of a property this check relies on but does not judge, so
         * that one fault is reported once, by the check that judges it.
         */
        Builder alsoRequires(String... ids) {
            List<String> all = new java.util.ArrayList<>(requires);
            all.addAll(List.of(ids));
            this.requires = List.copyOf(all);
            return this;
        }

        /** Replaces the default budget of eight timeouts. */
        Builder budget(Function<Settings, Duration> budget) {
            this.budget = budget;
            return this;
        }

        Builder runsLast() {
            this.runsLast = true;
            return this;
        }

        Check body(Body body) {
            return new Check(id, section, level, title, Objects.requireNonNull(requirement, id + ": requirement"),
                    needs, requires, runsLast, budget, body);
        }
    }
}
