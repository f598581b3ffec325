package main

import (
	"context"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	rootCmd.Version = lanlqVersion()
	cobra.AddTemplateFunc("duckdbVersion", duckdbVersion)
	cobra.AddTemplateFunc("goVersion", runtime.Version)
	rootCmd.SetVersionTemplate("lanlq {{.Version}}\nDuckDB {{duckdbVersion}} (linked into lanlq)\n{{goVersion}}\n")
}

// lanlqVersion is the module version and the commit it was built from, as the Go
// toolchain recorded them ("(devel)" for a build from a work tree).
func lanlqVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (commit " + rev + modified + ")"
	}
	return v
}

// duckdbVersion asks the linked DuckDB library for its version.
func duckdbVersion() string {
	v, err := engine.DuckDBVersion(context.Background())
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return v
}
