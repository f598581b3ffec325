//go:build lanlq_parquetio

package parquetio

import "errors"

// ErrMetadata reports a key-value metadata entry that cannot be written.
var ErrMetadata = errors.New("parquetio: invalid metadata")
