package engine

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// TestPlainValue checks the text of UUIDs and intervals against DuckDB's own
// CAST(… AS VARCHAR) of the same values.
func TestPlainValue(t *testing.T) {
	s, err := NewSession(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(context.Background(), `SELECT v, CAST(v AS VARCHAR) FROM (VALUES
		(INTERVAL 90 MINUTE), (INTERVAL 0 SECOND), (INTERVAL 1 DAY), (INTERVAL 2 DAY), (INTERVAL 14 MONTH),
		(INTERVAL 1 MONTH), (INTERVAL 12 MONTH), (INTERVAL '1 day 1 second'), (INTERVAL 1500 MILLISECOND),
		(INTERVAL '-1 day'), (-INTERVAL 90 MINUTE), (INTERVAL 1 MICROSECOND), (INTERVAL 100 HOUR),
		(INTERVAL '-14 months 3 days -00:00:02.25')) t(v)`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var v any
		var want string
		if err := rows.Scan(&v, &want); err != nil {
			t.Fatal(err)
		}
		if got := PlainValue(v, "INTERVAL"); got != want {
			t.Errorf("interval %+v: %q, DuckDB prints %q", v, got, want)
		}
		n++
	}
	if err := rows.Err(); err != nil || n != 14 {
		t.Fatalf("%d rows, %v", n, err)
	}
	rows.Close()
	var u any
	var want string
	if err := s.QueryRow(context.Background(), `SELECT u, CAST(u AS VARCHAR) FROM (SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID u)`).Scan(&u, &want); err != nil {
		t.Fatal(err)
	}
	if got := PlainValue(u, "UUID"); got != want {
		t.Errorf("uuid: %q, want %q", got, want)
	}
	rows, err = s.Query(context.Background(), `SELECT v, CAST(v AS VARCHAR) FROM (VALUES
		(12.50::DECIMAL(6,2)), (-0.001::DECIMAL(9,3)), (0::DECIMAL(4,2)), (-7::DECIMAL(3,0)),
		(123456789012345678901234.5678::DECIMAL(38,4)), (-0.5::DECIMAL(18,1))) t(v)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v any
		if err := rows.Scan(&v, &want); err != nil {
			t.Fatal(err)
		}
		if got := PlainValue(v, "DECIMAL"); got != json.Number(want) {
			t.Errorf("decimal %v: %q, DuckDB prints %q", v, got, want)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatal(err)
	}
	if got, ok := PlainValue([]byte("0123456789abcdef"), "BLOB").([]byte); !ok || string(got) != "0123456789abcdef" {
		t.Errorf("a 16-byte BLOB changed: %v", got)
	}
}
