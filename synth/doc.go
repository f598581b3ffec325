// Package synth generates deterministic, enterprise-like LANL cyber1 telemetry (auth,
// proc, flows, dns) with injected red-team lateral-movement campaigns and their truth.
package synth
