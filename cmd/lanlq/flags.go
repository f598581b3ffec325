package main

import (
	"fmt"
	"time"

	"github.com/lanlq/lanlq/lanl"
)

// parseInterval reads an --interval value: whole seconds, bare (3600) or as a
// duration (1h, 15m, 2d).
func parseInterval(s string) (time.Duration, error) {
	d, err := lanl.ParseInterval(s)
	if err != nil {
		return 0, fmt.Errorf("--interval: %w", err)
	}
	return d, nil
}
