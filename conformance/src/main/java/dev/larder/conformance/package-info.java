/**
 * The conformance kit: checks any GOCACHEPROG helper program, in any language, against the
 * protocol cmd/go speaks, requirement by requirement, as h2spec does for HTTP/2.
 *
 * <p>What lives here: the catalogue of numbered {@link dev.larder.conformance.Check}s grouped by
 * protocol section (one class of checks per section), the raw session that spawns a helper and
 * records every byte it writes, the runner ({@link dev.larder.conformance.ConformanceKit}) and
 * the reports (text, JUnit XML, JSON).
 *
 * <p>What does not: anything of larder's own helper or store. The kit is a client of the
 * protocol module only; it starts the helper command it is given as a child process, a fresh one
 * wherever isolation matters, and judges only what crosses the pipes and the files named by
 * {@code DiskPath}. Each requirement cites what cmd/go 1.24 does
 * ({@code cmd/go/internal/cache/prog.go}); MUST marks what would make cmd/go fail or misbehave,
 * SHOULD what users of a robust helper expect.
 */
package dev.larder.conformance;
