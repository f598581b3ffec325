//go:build !unix

package graphkit

import "time"

// ProcessCPU is unknown here: benchmarks then report wall time only.
func ProcessCPU() time.Duration { return 0 }
