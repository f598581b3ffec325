package lanl

import "time"

// Origin is time 0 of the LANL data: a raw time t is Origin + t seconds (the
// notebook's origin; LANL's own is unknown). 2015-01-01 was a Thursday.
var Origin = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// Time returns the instant of raw time sec.
func Time(sec int64) time.Time { return Origin.Add(time.Duration(sec) * time.Second) }

// FloorDiv is a / b rounded towards minus infinity (b != 0), so that negative times
// fall into the interval before 0, not into interval 0.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// IntervalStart is the raw second at which the interval of width seconds holding raw
// time t starts: floor(t / width) * width (the notebook's calc_lb_interval with the
// start at Origin).
func IntervalStart(t, width int64) int64 { return FloorDiv(t, width) * width }

// PartitionDir is the hive folder name of the interval starting at raw second start:
// interval_start=2015-01-01 00:00:00. It is unescaped (unlike DuckDB's PARTITION_BY,
// which writes %20 and %3A), so that DuckDB's hive_partitioning reads the key back as
// a TIMESTAMP; pyarrow reads it as well.
func PartitionDir(start int64) string {
	return "interval_start=" + Time(start).Format(time.DateTime)
}
