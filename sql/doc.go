// Package sql holds lanlq's SQL text (catalog views, graph architectures, edge
// generation), embedded with go:embed so that the SQL lives in .sql files, not Go strings.
package sql
