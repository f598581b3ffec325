package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lanlq/lanlq/engine"
)

// runSQL executes query (one or more statements) and prints the last statement's
// result to w in format. A SQL error is returned as DuckDB reported it.
func runSQL(ctx context.Context, s *engine.Session, w io.Writer, query, format string) error {
	rows, err := s.Query(ctx, query)
	if err != nil {
		return s.NameBrokenFile(ctx, err)
	}
	defer rows.Close()
	_, err = writeRows(w, rows, format)
	return s.NameBrokenFile(ctx, err)
}

// prompt runs an interactive read-eval-print loop: statements end with ';', errors
// are printed and the loop goes on; .quit or end of input stops it.
func prompt(ctx context.Context, s *engine.Session, in io.Reader, out, errOut io.Writer, format string) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var stmt strings.Builder
	showPrompt := func() {
		if stmt.Len() == 0 {
			fmt.Fprint(out, "lanlq> ")
		} else {
			fmt.Fprint(out, "   ...> ")
		}
	}
	fmt.Fprintln(out, "lanlq SQL over", s.DataDir(), "- views: auth, proc, flows, dns, redteam, rejects. End statements with ';', .quit to leave.")
	showPrompt()
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if stmt.Len() == 0 && (trimmed == ".quit" || trimmed == ".exit" || trimmed == `\q`) {
			return nil
		}
		stmt.WriteString(line)
		stmt.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			if err := runSQL(ctx, s, out, stmt.String(), format); err != nil {
				fmt.Fprintln(errOut, "Error:", err)
			}
			stmt.Reset()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		showPrompt()
	}
	fmt.Fprintln(out)
	if q := strings.TrimSpace(stmt.String()); q != "" {
		return runSQL(ctx, s, out, q, format)
	}
	return sc.Err()
}
