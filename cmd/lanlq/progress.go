package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether stderr is a terminal: progress bars are drawn only then.
func isTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// newBytesBar returns a progress bar over total bytes on stderr, or nil when stderr is
// not a terminal (scripts and CI stay quiet). progressbar/v3 handles rates, ETA and
// terminal width, which is not worth rewriting.
func newBytesBar(total int64, label string) *progressbar.ProgressBar {
	if !isTerminal() {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
}

// newCountBar is newBytesBar for a count of items (intervals, statements).
func newCountBar(total int64, label string) *progressbar.ProgressBar {
	if !isTerminal() {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
}

var _ io.Writer = (*progressbar.ProgressBar)(nil)
