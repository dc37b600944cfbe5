/**
 * The {@code larder} command: picocli subcommands, wiring of stores to helpers, logging setup and
 * exit codes, and the daemon that runs those commands for many clients at once.
 *
 * <p>Glossary of the daemon: {@link dev.larder.cli.Daemon} (the long-lived process and its
 * sessions), {@link dev.larder.cli.DaemonWire} (the hello and the frames on its socket, which the
 * native bridge in {@code src/main/c} speaks too), {@link dev.larder.cli.DaemonPaths} (where it
 * listens, who it is), {@link dev.larder.cli.DaemonClient} (larder's own client: start, status,
 * {@code larder run}'s helper), {@link dev.larder.cli.Invocation} (one client's streams,
 * environment and working directory, which commands read instead of the process's).
 *
 * <p>Names: a picocli mixin of shared flags is {@code ...Options} ({@link dev.larder.cli.StoreOptions},
 * {@link dev.larder.cli.TrimOptions}); the records it fills for the library modules are
 * {@code ...Settings} ({@code TierSettings}, {@code TrimSettings}, {@code HelperSettings}).
 * Errors are decided in one place, {@link dev.larder.cli.Main}: commands throw.
 *
 * <p>Nothing here implements caching; it connects the modules that do.
 */
package dev.larder.cli;
