package sql

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.sql sources/*.sql
var files embed.FS

// Text returns the embedded SQL file name (for example "views.sql").
// A missing file is a programmer error, so it panics.
func Text(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("sql: no embedded file %q: %v", name, err))
	}
	return string(b)
}

// SourceNames lists the shipped source definitions (sources/NAME.sql), sorted.
func SourceNames() []string {
	entries, err := files.ReadDir("sources")
	if err != nil {
		panic(fmt.Sprintf("sql: sources: %v", err))
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".sql"); ok {
			names = append(names, n)
		}
	}
	return names
}

// Source returns the text of the shipped source definition name and whether it exists.
func Source(name string) (string, bool) {
	b, err := files.ReadFile("sources/" + name + ".sql")
	return string(b), err == nil
}
