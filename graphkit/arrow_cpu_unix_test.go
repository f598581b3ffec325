//go:build unix

package graphkit

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time this process has used (user and system). On a machine
// shared with other work it is steadier than wall time.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
