// Package experiments holds lanlq's shipped experiments (SQL files for lanlq run),
// embedded so that lanlq demo can run them without the source tree.
package experiments

import "embed"

// Files holds every *.sql experiment of this folder.
//
//go:embed *.sql
var Files embed.FS
