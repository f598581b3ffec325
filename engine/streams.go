package engine

// Column is one field of a LANL stream after the time field.
type Column struct {
	Name string
	// Type is the DuckDB type: VARCHAR for names, BIGINT for counts, INTEGER for the
	// IP protocol number.
	Type string
}

// Stream describes one LANL input stream: its file name stem and its fields in file
// order (time first, implicit).
type Stream struct {
	Name    string
	Columns []Column
}

// NumFields is the number of comma-separated fields of a raw line, time included.
func (s Stream) NumFields() int { return len(s.Columns) + 1 }

func varchars(names ...string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: "VARCHAR"}
	}
	return cols
}

// Streams are the five LANL cyber1 streams in the order lanlq processes them.
var Streams = []Stream{
	{Name: "auth", Columns: varchars("userdomain_source", "userdomain_destination",
		"computer_source", "computer_destination", "auth", "logon", "direction", "result")},
	{Name: "proc", Columns: varchars("userdomain_source", "computer_source", "process", "action")},
	{Name: "flows", Columns: []Column{
		{"duration", "BIGINT"},
		{"computer_source", "VARCHAR"},
		{"port_source", "VARCHAR"},
		{"computer_destination", "VARCHAR"},
		{"port_destination", "VARCHAR"},
		{"protocol", "INTEGER"},
		{"num_packets", "BIGINT"},
		{"num_bytes", "BIGINT"},
	}},
	{Name: "dns", Columns: varchars("computer_source", "computer_destination")},
	{Name: "redteam", Columns: varchars("userdomain_source", "computer_source", "computer_destination")},
}

// StreamByName returns the stream called name.
func StreamByName(name string) (Stream, bool) {
	for _, s := range Streams {
		if s.Name == name {
			return s, true
		}
	}
	return Stream{}, false
}
