package engine

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// PlainValue turns a value that database/sql scanned from a DuckDB result column of
// type dbType (sql.ColumnType.DatabaseTypeName) into one of plain Go types, so that
// code outside engine can print it without importing duckdb-go: a DECIMAL becomes a
// json.Number, a UUID (which arrives as 16 raw bytes) and an INTERVAL their text as
// DuckDB prints them, a MAP its Go text. Other values are returned as they are.
func PlainValue(v any, dbType string) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return json.Number(decimalText(x))
	case []byte:
		if dbType == "UUID" && len(x) == 16 {
			u := duckdb.UUID(x)
			return u.String()
		}
	case *duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return intervalText(x)
	case duckdb.Map:
		return fmt.Sprint(x)
	}
	return v
}

// intervalText prints an interval as DuckDB's CAST(… AS VARCHAR) does:
// "1 year 2 months 3 days 04:05:06.5".
func intervalText(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		s := fmt.Sprintf("%d %s", n, name)
		if n != 1 && n != -1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if m := iv.Micros; m != 0 || len(parts) == 0 {
		sign := ""
		if m < 0 {
			sign, m = "-", -m
		}
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, m/3_600_000_000, m/60_000_000%60, m/1_000_000%60)
		if us := m % 1_000_000; us != 0 {
			t += strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

// decimalText prints a decimal with all the digits of its scale, as DuckDB does
// (12.50 for DECIMAL(6,2); duckdb.Decimal.String drops trailing zeros).
func decimalText(d duckdb.Decimal) string {
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}
