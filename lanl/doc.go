// Package lanl describes the LANL cyber1 text format that lanlq reads and generates:
// the five streams and their fields, a validating line parser, the time origin and
// the naming of time intervals. It is pure Go with no dependencies, shared by
// engine's ingest, the synth generator and the benchmarks.
package lanl
