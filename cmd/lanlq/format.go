package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lanlq/lanlq/engine"
)

// formats are the output formats of writeRows.
var formats = []string{"table", "csv", "json"}

// writeRows prints a query result as an aligned text table, CSV (header line, RFC
// 4180) or JSON (an array of objects). It returns the number of rows written.
func writeRows(w io.Writer, rows *sql.Rows, format string) (int64, error) {
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	// DATE values arrive as time.Time: print them as dates. DuckDB's own value types
	// (DECIMAL, UUID, INTERVAL, MAP) become plain ones (engine.PlainValue).
	dbTypes := make([]string, len(cols))
	if types, err := rows.ColumnTypes(); err == nil {
		for i, ct := range types {
			dbTypes[i] = ct.DatabaseTypeName()
		}
	}
	plain := func(i int) {
		vals[i] = engine.PlainValue(vals[i], dbTypes[i])
		if t, ok := vals[i].(time.Time); ok && dbTypes[i] == "DATE" {
			vals[i] = t.UTC().Format("2006-01-02")
		}
	}
	var n int64
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return 0, err
		}
		rec := make([]string, len(cols))
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return n, err
			}
			for i := range vals {
				plain(i)
				rec[i] = formatValue(vals[i], "")
			}
			if err := cw.Write(rec); err != nil {
				return n, err
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	case "json":
		if _, err := io.WriteString(w, "["); err != nil {
			return 0, err
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return n, err
			}
			var b strings.Builder
			if n > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  {")
			for i, c := range cols {
				if i > 0 {
					b.WriteString(", ")
				}
				k, _ := json.Marshal(c)
				b.Write(k)
				b.WriteString(": ")
				plain(i)
				b.Write(jsonValue(vals[i]))
			}
			b.WriteString("}")
			if _, err := io.WriteString(w, b.String()); err != nil {
				return n, err
			}
			n++
		}
		if _, err := io.WriteString(w, "\n]\n"); err != nil {
			return n, err
		}
	case "table", "":
		var table [][]string
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return n, err
			}
			rec := make([]string, len(cols))
			for i := range vals {
				plain(i)
				rec[i] = formatValue(vals[i], "NULL")
			}
			table = append(table, rec)
			n++
		}
		if err := rows.Err(); err != nil {
			return n, err
		}
		writeTable(w, cols, table)
		return n, nil
	default:
		return 0, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(formats, ", "))
	}
	return n, rows.Err()
}

func formatValue(v any, null string) string {
	switch x := v.(type) {
	case nil:
		return null
	case time.Time:
		if x.Nanosecond() == 0 {
			return x.UTC().Format("2006-01-02 15:04:05")
		}
		return x.UTC().Format("2006-01-02 15:04:05.999999")
	case []byte:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	default:
		return fmt.Sprint(x)
	}
}

func jsonValue(v any) []byte {
	switch x := v.(type) {
	case nil:
		return []byte("null")
	case time.Time:
		b, _ := json.Marshal(formatValue(x, ""))
		return b
	case []byte:
		b, _ := json.Marshal(string(x))
		return b
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b, _ := json.Marshal(formatValue(x, ""))
			return b
		}
	case json.Number: // a DECIMAL, exactly as DuckDB prints it
		return []byte(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	return b
}

// writeTable prints an aligned table with a header rule; long cells are cut at 60
// runes so a wide result stays readable on a terminal.
func writeTable(w io.Writer, cols []string, rows [][]string) {
	const maxWidth = 60
	cut := func(s string) string {
		if utf8.RuneCountInString(s) <= maxWidth {
			return s
		}
		r := []rune(s)
		return string(r[:maxWidth-1]) + "…"
	}
	width := make([]int, len(cols))
	for i, c := range cols {
		width[i] = utf8.RuneCountInString(cut(c))
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cut(c)))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" │ ")
			}
			c = cut(c)
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString("\n")
		io.WriteString(w, b.String())
	}
	line(cols)
	var rule strings.Builder
	for i := range cols {
		if i > 0 {
			rule.WriteString("─┼─")
		}
		rule.WriteString(strings.Repeat("─", width[i]))
	}
	io.WriteString(w, rule.String()+"\n")
	for _, r := range rows {
		line(r)
	}
	fmt.Fprintf(w, "(%d row%s)\n", len(rows), map[bool]string{true: "", false: "s"}[len(rows) == 1])
}
