package plots

import (
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// tickSteps are the spacings a time axis may use between labelled ticks. Ticks sit on
// whole multiples of the step since the Unix epoch, so hourly ticks fall on the hour
// and daily ticks at midnight UTC.
var tickSteps = []time.Duration{
	time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// timeLabelRoom is the width given to each date label: "2006-01-02" in the 10-point tick
// font is about 0.65 inch, so labels keep a visible gap.
const timeLabelRoom = 0.9 * vg.Inch

// yAxisRoom is roughly what the Y axis label and tick labels take from the plot width.
const yAxisRoom = 0.8 * vg.Inch

// unixSeconds is the X coordinate of t on a time axis.
func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// timeStep picks the smallest tick step that labels a span of seconds with at most
// maxLabels labels, and a minor step that divides it into at most 7 parts.
func timeStep(span float64, maxLabels int) (major, minor time.Duration) {
	maxLabels = max(maxLabels, 2)
	major = -1
	for _, s := range tickSteps {
		if span/s.Seconds() <= float64(maxLabels) {
			major = s
			break
		}
	}
	if major < 0 { // longer than maxLabels × 28 days: whole numbers of 28 days
		n := math.Ceil(span / float64(maxLabels) / (28 * 24 * time.Hour).Seconds())
		return time.Duration(n) * 28 * 24 * time.Hour, 28 * 24 * time.Hour
	}
	minor = major
	for _, s := range tickSteps {
		if s < major && major%s == 0 && major/s <= 7 {
			minor = s
			break
		}
	}
	return major, minor
}

// steppedTicks places minor ticks every Minor and labelled ones every Major; the labels
// are placeholders that plot.TimeTicks replaces with formatted dates.
type steppedTicks struct{ Major, Minor time.Duration }

func (s steppedTicks) Ticks(lo, hi float64) []plot.Tick {
	// Whole steps counted in integers, so a tick never drifts off the hour.
	major, minor := int64(s.Major/time.Second), int64(s.Minor/time.Second)
	var ticks []plot.Tick
	for i := int64(math.Ceil(lo / float64(minor))); float64(i*minor) <= hi; i++ {
		v, label := i*minor, ""
		if v%major == 0 {
			label = "t"
		}
		ticks = append(ticks, plot.Tick{Value: float64(v), Label: label})
	}
	return ticks
}

// setTimeAxis makes p's X axis a UTC time axis over [lo, hi] seconds with readable dates
// on a plot width wide: days alone when ticks are a day or more apart, date and time of
// day otherwise.
func setTimeAxis(p *plot.Plot, lo, hi float64, width vg.Length) {
	p.X.Min, p.X.Max = lo, hi
	major, minor := timeStep(hi-lo, maxTimeLabels(width))
	layout := "2006-01-02"
	if major < 24*time.Hour {
		layout = "2006-01-02\n15:04"
	}
	p.X.Tick.Marker = plot.TimeTicks{
		Ticker: steppedTicks{Major: major, Minor: minor},
		Format: layout,
		Time:   plot.UTCUnixTime,
	}
	p.X.Label.Text = "time (UTC)"
}

// maxTimeLabels is how many date labels fit on a plot width wide.
func maxTimeLabels(width vg.Length) int {
	return int((width - yAxisRoom) / timeLabelRoom)
}
