// Package graphkit builds CSR graphs from Arrow edge batches and computes role
// dynamics (ReFeX features, RolX roles, anomaly scores and ranking metrics). It is
// pure Go: no cgo, no DuckDB.
package graphkit
