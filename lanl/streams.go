package lanl

// The column types, as DuckDB spells them in the views and in ingest's SQL.
const (
	Varchar = "VARCHAR" // names, ports, and LANL's "?" for unknown
	Bigint  = "BIGINT"  // durations and counts
	Integer = "INTEGER" // the IP protocol number
)

// Column is one field of a LANL stream after the time field.
type Column struct {
	Name string
	// Type is the DuckDB type: Varchar, Bigint or Integer.
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
		cols[i] = Column{Name: n, Type: Varchar}
	}
	return cols
}

// Streams are the five LANL cyber1 streams in the order lanlq processes them. The
// first four are telemetry; redteam lists the red team's auth events.
var Streams = []Stream{
	{Name: "auth", Columns: varchars("userdomain_source", "userdomain_destination",
		"computer_source", "computer_destination", "auth", "logon", "direction", "result")},
	{Name: "proc", Columns: varchars("userdomain_source", "computer_source", "process", "action")},
	{Name: "flows", Columns: []Column{
		{"duration", Bigint},
		{"computer_source", Varchar},
		{"port_source", Varchar},
		{"computer_destination", Varchar},
		{"port_destination", Varchar},
		{"protocol", Integer},
		{"num_packets", Bigint},
		{"num_bytes", Bigint},
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

// Names returns the streams' names in the order of Streams.
func Names() []string {
	names := make([]string, len(Streams))
	for i, s := range Streams {
		names[i] = s.Name
	}
	return names
}
