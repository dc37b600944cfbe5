/**
 * Process-level caching of any Linux program (x86_64): {@code larder run -- CMD}.
 *
 * <p>{@link dev.larder.tracer.TraceLoop} runs a command under ptrace (JNA, a seccomp filter so
 * only the syscalls that name files, spawn, signal or network stop the tracee); a recorder turns
 * those syscalls into the run's preconditions (what it read, stat'd, listed or found missing)
 * and outputs (files written, deleted, renamed; stdout, stderr, exit status). Entries are stored
 * and fetched only through the GOCACHEPROG protocol with a
 * {@link dev.larder.protocol.ProtocolClient}, so any helper can be the cache. What the cache
 * serves is untrusted: records are read strictly and their candidates' digests recomputed
 * ({@code Records}), and a replay changes files only under the working directory and the
 * allowed roots ({@code Confinement}). This package knows nothing of larder's helper or storage
 * modules.
 */
package dev.larder.tracer;
