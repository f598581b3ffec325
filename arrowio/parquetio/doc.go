// Package parquetio writes and reads Arrow record batches as Parquet files, with
// deterministic output (identical input gives identical bytes) and key-value metadata.
//
// It is a package of its own, not part of arrowio, because pqarrow pulls in Arrow
// Flight (and so gRPC) to serialise the stored Arrow schema: graphkit, which imports
// arrowio, stays free of that dependency tree.
//
// Until go.mod requires the modules pqarrow needs (github.com/apache/thrift,
// github.com/andybalholm/brotli, github.com/cespare/xxhash/v2, google.golang.org/grpc,
// google.golang.org/protobuf, google.golang.org/genproto/googleapis/rpc,
// golang.org/x/net, golang.org/x/sync), the package's files carry the build tag
// lanlq_parquetio so that builds without it do not fail; once go.mod has them, delete
// the "//go:build lanlq_parquetio" lines.
package parquetio
