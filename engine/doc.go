// Package engine owns lanlq's DuckDB sessions: the catalog of ingested streams,
// ingest of raw LANL files into interval-partitioned Parquet (and of other telemetry
// through source definitions in SQL, IngestSources, with the identity functions they
// call), queries (with
// PlainValue for printing DuckDB's values elsewhere), the per-interval artifact graphs
// (edge lists in SQL, IntervalEdges; graphs for scoring from the SQL's distinct event
// tuples, IntervalGraph), scoring, following new data as it lands (Follow: incremental
// ingest, scoring and JSON-lines alerts), evaluation, explanations, the experiment runner and
// lanlq's table functions, whose settings are parsed by the same EdgeArgs and
// ScoreArgs as the CLI's flags. It is the only package that imports duckdb-go.
package engine
