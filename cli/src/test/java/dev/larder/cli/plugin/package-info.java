/**
 * An example storage plugin, built into a jar by {@code PluginProviderIT} and loaded by
 * {@code larder helper --plugin-path}: {@link dev.larder.cli.plugin.FilesProvider} serves the
 * {@code files:} scheme from a plain directory. It is also the example the README points to for
 * writing a plugin.
 *
 * <p>What does not live here: anything the plugin jar would not ship. Only these classes and the
 * service file naming the provider go into the jar; larder's own classes ({@code dev.larder.storage})
 * come from larder at run time.
 */
package dev.larder.cli.plugin;
