package plots

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"time"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Every figure is a PNG at dpi dots per inch: time plots are wide so a 58-day axis
// keeps hours apart, curve plots leave a near-square data area beside their legend.
const dpi = 100

const (
	wideWidth   = 10 * vg.Inch
	wideHeight  = 4 * vg.Inch
	curveWidth  = 8 * vg.Inch
	curveHeight = 5 * vg.Inch
)

var (
	redTeamColor  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	redTeamShade  = color.RGBA{R: 250, G: 205, B: 205, A: 255} // opaque: overlapping bands do not darken
	referenceGray = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	// lineColors are the Okabe-Ito colours without red and yellow: red is kept for the
	// red team and yellow is unreadable on white.
	lineColors = []color.Color{
		color.RGBA{R: 0, G: 114, B: 178, A: 255},
		color.RGBA{R: 230, G: 159, B: 0, A: 255},
		color.RGBA{R: 0, G: 158, B: 115, A: 255},
		color.RGBA{R: 204, G: 121, B: 167, A: 255},
		color.RGBA{R: 86, G: 180, B: 233, A: 255},
		color.RGBA{A: 255},
		color.RGBA{R: 140, G: 86, B: 75, A: 255},
		color.RGBA{R: 128, G: 128, B: 128, A: 255},
	}
)

// lineStyle is the style of the i-th line of a plot: colours first, then the same
// colours dashed, so up to 16 lines stay distinguishable.
func lineStyle(i int) draw.LineStyle {
	s := draw.LineStyle{Color: lineColors[i%len(lineColors)], Width: vg.Points(1.2)}
	if (i/len(lineColors))%2 == 1 {
		s.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return s
}

// IntervalCount is the number of red-team events in the interval starting at Start.
type IntervalCount struct {
	Start time.Time
	Count int
}

// IntervalScore is a score for the interval starting at Start; RedTeam marks intervals
// that hold red-team activity.
type IntervalScore struct {
	Start   time.Time
	Score   float64
	RedTeam bool
}

// CurvePoint is one point of a ROC (X = false positive rate, Y = true positive rate) or
// precision-recall (X = recall, Y = precision) curve.
type CurvePoint struct{ X, Y float64 }

// Series is one artifact's scores over time; RedTeam on a point marks an interval in
// which the artifact is a red-team positive.
type Series struct {
	Name   string
	Points []IntervalScore
}

// AttackBars draws red-team events per interval as bars width wide (the research
// notebook's plot_attacks); call it once per hour and once per day for both views.
// Intervals left out of counts are drawn as zero.
func AttackBars(path, title string, width time.Duration, counts []IntervalCount) error {
	if len(counts) == 0 {
		return fmt.Errorf("%w: no red-team counts for %s", ErrEmpty, path)
	}
	if width <= 0 {
		return fmt.Errorf("%w: bar width %v for %s is not positive", ErrInvalid, width, path)
	}
	sorted := slices.Clone(counts)
	slices.SortStableFunc(sorted, func(a, b IntervalCount) int { return a.Start.Compare(b.Start) })
	b := bars{Color: redTeamColor}
	for _, c := range sorted {
		if c.Count < 0 {
			return fmt.Errorf("%w: negative count %d at %s for %s", ErrInvalid, c.Count, c.Start.UTC().Format(time.RFC3339), path)
		}
		x := unixSeconds(c.Start)
		b.Spans = append(b.Spans, span{x, x + width.Seconds()})
		b.Heights = append(b.Heights, float64(c.Count))
	}

	p := newPlot(title)
	p.Add(plotter.NewGrid(), b)
	setTimeAxis(p, b.Spans[0].Lo, b.Spans[len(b.Spans)-1].Hi, wideWidth)
	p.Y.Label.Text = fmt.Sprintf("red-team events per %s", durationName(width))
	p.Y.Min = 0
	p.Y.Tick.Marker = wholeTicks{}
	return save(path, p, nil, wideWidth, wideHeight)
}

// wholeTicks are plot.DefaultTicks without the fractional ones: an axis of event counts
// never reads 0.5.
type wholeTicks struct{}

func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, tk := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if tk.Value == math.Trunc(tk.Value) {
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

// IntervalScores draws Δ(t) as a line over time with the red-team intervals shaded.
// Each score is drawn at the middle of its interval; the interval length is the
// smallest gap between starts. Non-finite scores (the first interval has no
// predecessor to compare with) are left out of the line.
func IntervalScores(path, title string, pts []IntervalScore) error {
	if len(pts) == 0 {
		return fmt.Errorf("%w: no interval scores for %s", ErrEmpty, path)
	}
	ts := newTimeSeries([][]IntervalScore{pts})
	if len(ts.lines[0]) == 0 {
		return fmt.Errorf("%w: no finite interval score for %s", ErrEmpty, path)
	}
	line, err := plotter.NewLine(thin(ts.lines[0]))
	if err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	line.LineStyle = lineStyle(0)

	p := newPlot(title)
	red := bands{Spans: ts.red, Color: redTeamShade}
	p.Add(red, plotter.NewGrid(), line)
	p.Y.Label.Text = "Δ(t)"
	legend := []legendEntry{{"Δ(t)", []plot.Thumbnailer{line}}}
	if len(ts.red) > 0 {
		legend = append(legend, legendEntry{"red-team interval", []plot.Thumbnailer{red}})
	}
	ts.setAxis(p, legend)
	return save(path, p, legend, wideWidth, wideHeight)
}

// TopArtifacts draws each artifact's score over time, one line per series in the order
// given, with every interval in which any series is red team shaded and each series'
// own red-team points ringed in red. Scores are placed as in IntervalScores.
func TopArtifacts(path, title string, series []Series) error {
	if len(series) == 0 {
		return fmt.Errorf("%w: no artifact series for %s", ErrEmpty, path)
	}
	all := make([][]IntervalScore, len(series))
	for i, s := range series {
		if len(s.Points) == 0 {
			return fmt.Errorf("%w: artifact %q has no scores for %s", ErrEmpty, s.Name, path)
		}
		all[i] = s.Points
	}
	ts := newTimeSeries(all)

	p := newPlot(title)
	red := bands{Spans: ts.red, Color: redTeamShade}
	p.Add(red, plotter.NewGrid())
	var legend []legendEntry
	var ring *plotter.Scatter
	for i, s := range series {
		if len(ts.lines[i]) == 0 {
			return fmt.Errorf("%w: artifact %q has no finite score for %s", ErrEmpty, s.Name, path)
		}
		line, err := plotter.NewLine(thin(ts.lines[i]))
		if err != nil {
			return fmt.Errorf("plots: %s: artifact %q: %w", path, s.Name, err)
		}
		line.LineStyle = lineStyle(i)
		p.Add(line)
		legend = append(legend, legendEntry{shorten(s.Name), []plot.Thumbnailer{line}})
	}
	// Rings go on last so no line hides them.
	for i := range series {
		if len(ts.hits[i]) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(ts.hits[i])
		if err != nil {
			return fmt.Errorf("plots: %s: %w", path, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: redTeamColor, Radius: vg.Points(3), Shape: draw.RingGlyph{}}
		p.Add(sc)
		ring = sc
	}
	p.Y.Label.Text = "score"
	if ring != nil {
		legend = append(legend, legendEntry{"red team", []plot.Thumbnailer{red, ring}})
	}
	ts.setAxis(p, legend)
	return save(path, p, legend, wideWidth, wideHeight)
}

// ROC draws ROC curves (false positive rate, true positive rate) with the chance
// diagonal. Curves are listed by decreasing AUC, then by name; a curve missing from auc
// is listed by name alone after the others.
func ROC(path, title string, curves map[string][]CurvePoint, auc map[string]float64) error {
	p := newPlot(title)
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	chance, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	chance.LineStyle = draw.LineStyle{Color: referenceGray, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	p.Add(plotter.NewGrid(), chance)
	legend, err := addCurves(p, path, curves, auc, "AUC")
	if err != nil {
		return err
	}
	legend = append(legend, legendEntry{"chance", []plot.Thumbnailer{chance}})
	unitAxes(p)
	return save(path, p, legend, curveWidth, curveHeight)
}

// PR draws precision-recall curves (recall, precision) with a dashed line at baseline,
// the positive rate a random ranking would reach; baseline 0 draws no line. Curves are
// ordered by ap as ROC orders them by AUC.
func PR(path, title string, curves map[string][]CurvePoint, ap map[string]float64, baseline float64) error {
	if !(baseline >= 0 && baseline <= 1) {
		return fmt.Errorf("%w: positive rate %v for %s is outside [0, 1]", ErrInvalid, baseline, path)
	}
	p := newPlot(title)
	p.X.Label.Text = "recall"
	p.Y.Label.Text = "precision"
	p.Add(plotter.NewGrid())
	legend, err := addCurves(p, path, curves, ap, "AP")
	if err != nil {
		return err
	}
	if baseline > 0 {
		base, err := plotter.NewLine(plotter.XYs{{X: 0, Y: baseline}, {X: 1, Y: baseline}})
		if err != nil {
			return fmt.Errorf("plots: %s: %w", path, err)
		}
		base.LineStyle = draw.LineStyle{Color: referenceGray, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		p.Add(base)
		legend = append(legend, legendEntry{fmt.Sprintf("positive rate %.3g", baseline), []plot.Thumbnailer{base}})
	}
	unitAxes(p)
	return save(path, p, legend, curveWidth, curveHeight)
}

// addCurves adds the curves to p in legend order and returns their legend entries,
// each named with its metric.
func addCurves(p *plot.Plot, path string, curves map[string][]CurvePoint, metric map[string]float64, metricName string) ([]legendEntry, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("%w: no curves for %s", ErrEmpty, path)
	}
	names := make([]string, 0, len(curves))
	for name := range curves {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		ma, oka := metric[a]
		mb, okb := metric[b]
		switch {
		case oka && okb && ma != mb:
			return cmp.Compare(mb, ma)
		case oka != okb && oka:
			return -1
		case oka != okb:
			return 1
		}
		return cmp.Compare(a, b)
	})
	var legend []legendEntry
	for i, name := range names {
		pts := curves[name]
		if len(pts) == 0 {
			return nil, fmt.Errorf("%w: curve %q has no points for %s", ErrEmpty, name, path)
		}
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			if !finite(pt.X) || !finite(pt.Y) {
				return nil, fmt.Errorf("%w: curve %q point %d is (%v, %v) for %s", ErrInvalid, name, j, pt.X, pt.Y, path)
			}
			xys[j] = plotter.XY{X: pt.X, Y: pt.Y}
		}
		line, err := plotter.NewLine(thin(xys))
		if err != nil {
			return nil, fmt.Errorf("plots: %s: curve %q: %w", path, name, err)
		}
		line.LineStyle = lineStyle(i)
		p.Add(line)
		label := shorten(name)
		if m, ok := metric[name]; ok {
			label = fmt.Sprintf("%s (%s %.3f)", label, metricName, m)
		}
		legend = append(legend, legendEntry{label, []plot.Thumbnailer{line}})
	}
	return legend, nil
}

// unitAxes fixes both axes to [0, 1] with ticks every 0.2.
func unitAxes(p *plot.Plot) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	var ticks plot.ConstantTicks
	for i := range 6 {
		v := float64(i) / 5
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.1f", v)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks, ticks
}

// timeSeries holds one or more score series on a shared time axis.
type timeSeries struct {
	lines []plotter.XYs // per series, finite scores at interval midpoints, by time
	hits  []plotter.XYs // per series, the red-team points of lines
	red   []span        // red-team intervals of any series, merged
	lo    float64       // start of the first interval
	hi    float64       // end of the last interval
}

func newTimeSeries(all [][]IntervalScore) timeSeries {
	var starts []float64
	for _, pts := range all {
		for _, pt := range pts {
			starts = append(starts, unixSeconds(pt.Start))
		}
	}
	slices.Sort(starts)
	step := 0.0
	for i := 1; i < len(starts); i++ {
		if d := starts[i] - starts[i-1]; d > 0 && (step == 0 || d < step) {
			step = d
		}
	}
	if step == 0 { // one interval: nothing to measure, an hour is lanlq's default
		step = time.Hour.Seconds()
	}

	ts := timeSeries{lo: starts[0], hi: starts[len(starts)-1] + step}
	var red []span
	for _, pts := range all {
		sorted := slices.Clone(pts)
		slices.SortStableFunc(sorted, func(a, b IntervalScore) int { return a.Start.Compare(b.Start) })
		var line, hits plotter.XYs
		for _, pt := range sorted {
			x := unixSeconds(pt.Start)
			if pt.RedTeam {
				red = append(red, span{x, x + step})
			}
			if !finite(pt.Score) {
				continue
			}
			xy := plotter.XY{X: x + step/2, Y: pt.Score}
			line = append(line, xy)
			if pt.RedTeam {
				hits = append(hits, xy)
			}
		}
		ts.lines = append(ts.lines, line)
		ts.hits = append(ts.hits, hits)
	}
	slices.SortFunc(red, func(a, b span) int { return cmp.Compare(a.Lo, b.Lo) })
	ts.red = mergeSpans(red)
	return ts
}

// setAxis sets p's time axis for a wide plot with legend beside it.
func (ts timeSeries) setAxis(p *plot.Plot, legend []legendEntry) {
	_, legendWidth := sideLegend(legend)
	setTimeAxis(p, ts.lo, ts.hi, wideWidth-legendWidth)
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	return p
}

// legendEntry is one line of a legend drawn beside the plot.
type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// save draws p as a width × height PNG at path, with the legend entries (if any) in a
// column to the right of the plot, where they can never cover data.
func save(path string, p *plot.Plot, entries []legendEntry, width, height vg.Length) error {
	var buf bytes.Buffer
	if err := render(&buf, p, entries, width, height); err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

func render(buf *bytes.Buffer, p *plot.Plot, entries []legendEntry, width, height vg.Length) error {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	c := draw.New(img)
	if len(entries) > 0 {
		legend, legendWidth := sideLegend(entries)
		// The column starts level with the top of the data area, below the title.
		top := vg.Length(0)
		if p.Title.Text != "" {
			top = p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding + legendGap
		}
		full := c
		c = draw.Crop(full, 0, -legendWidth, 0, 0)
		legend.Draw(draw.Crop(full, full.Size().X-legendWidth+legendGap, -legendGap, 0, -top))
	}
	p.Draw(c)
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(buf)
	return err
}

// legendGap separates the legend column from the plot and the image edge.
const legendGap = vg.Length(8)

// sideLegend returns the legend of entries and the width of the column it needs.
func sideLegend(entries []legendEntry) (plot.Legend, vg.Length) {
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(10)
	legend.Padding = vg.Points(2)
	if len(entries) == 0 {
		return legend, 0
	}
	textWidth := vg.Length(0)
	for _, e := range entries {
		legend.Add(e.text, e.thumbs...)
		textWidth = max(textWidth, legend.TextStyle.Width(e.text))
	}
	return legend, legend.ThumbnailWidth + legend.TextStyle.Width(" ") + textWidth + 2*legendGap
}

// shorten keeps legend labels to one readable line.
func shorten(name string) string {
	const maxRunes = 28
	if utf8.RuneCountInString(name) <= maxRunes {
		return name
	}
	r := []rune(name)
	return string(r[:maxRunes-1]) + "…"
}

// durationName names a bar width for an axis label: "hour", "day", or the duration.
func durationName(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	case time.Minute:
		return "minute"
	}
	return d.String()
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
