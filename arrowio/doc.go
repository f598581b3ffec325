// Package arrowio holds the Arrow record-batch streaming and Parquet helpers shared
// by engine and graphkit.
package arrowio
