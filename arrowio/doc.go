// Package arrowio holds the Arrow record-batch streaming and Parquet helpers shared
// by engine and graphkit: the edge-batch schema, a Parquet writer for ingest's flat
// batches (ParquetWriter) and an in-place editor of a Parquet file's key-value
// metadata (SetParquetKeyValues). It is pure Go; DuckDB stays in engine.
package arrowio
