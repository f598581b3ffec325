package arrowio

import "errors"

var (
	// ErrSchema reports record batches whose schema does not match what a helper needs.
	ErrSchema = errors.New("arrowio: schema mismatch")
	// ErrLength reports Go slices of different lengths given as the columns of one batch.
	ErrLength = errors.New("arrowio: column lengths differ")
	// ErrWriterState reports a ParquetWriter used out of order: Write or Close before
	// Reset, or Write after Close.
	ErrWriterState = errors.New("arrowio: Parquet writer used out of order")
	// ErrParquetFooter reports a Parquet file whose footer SetParquetKeyValues cannot
	// edit: not Parquet, encrypted, or malformed.
	ErrParquetFooter = errors.New("arrowio: cannot edit the Parquet footer")
)
