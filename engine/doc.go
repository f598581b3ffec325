// Package engine owns lanlq's DuckDB sessions: the catalog of ingested streams,
// ingest of raw LANL files into interval-partitioned Parquet, SQL execution, the
// per-interval artifact graphs (edge lists in SQL, IntervalEdges; graphs for scoring
// from the SQL's distinct event tuples, IntervalGraph), scoring, evaluation, the
// experiment runner and lanlq's table functions. It is the only package that imports
// duckdb-go.
package engine
