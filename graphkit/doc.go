// Package graphkit builds CSR graphs from Arrow edge batches or event tuples (each a
// clique over its artifacts, expanded in parallel straight into the CSR) and computes
// role dynamics (ReFeX features, RolX roles, anomaly scores and ranking metrics). It is
// pure Go: no cgo, no DuckDB.
package graphkit
