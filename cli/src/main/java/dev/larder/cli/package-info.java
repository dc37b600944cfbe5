/**
 * The {@code larder} command: picocli subcommands, wiring of stores to helpers, logging setup and
 * exit codes. Nothing here implements caching; it connects the modules that do.
 */
package dev.larder.cli;
