package sql

import (
	"embed"
	"fmt"
)

//go:embed *.sql
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
