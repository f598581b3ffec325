package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// minBarWidth keeps one-hour bars and bands visible on a 58-day axis, where an hour is
// well under a pixel.
const minBarWidth = vg.Length(72.0 / dpi) // one pixel

// span is a closed X range [Lo, Hi] in data coordinates.
type span struct{ Lo, Hi float64 }

// bars draws one filled rectangle per span from zero to its height, without outlines,
// at least a pixel wide.
type bars struct {
	Spans   []span
	Heights []float64
	Color   color.Color
}

var (
	_ plot.Plotter     = bars{}
	_ plot.DataRanger  = bars{}
	_ plot.Thumbnailer = bars{}
)

func (b bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, s := range b.Spans {
		if b.Heights[i] == 0 {
			continue
		}
		fillRect(c, b.Color, trX(s.Lo), trX(s.Hi), trY(0), trY(b.Heights[i]))
	}
}

func (b bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for i, s := range b.Spans {
		xmin, xmax = min(xmin, s.Lo), max(xmax, s.Hi)
		ymax = max(ymax, b.Heights[i])
	}
	return xmin, xmax, 0, ymax
}

func (b bars) Thumbnail(c *draw.Canvas) {
	fillRect(*c, b.Color, c.Min.X, c.Max.X, c.Min.Y, c.Max.Y)
}

// bands shades the full height of the data area over each span, at least a pixel wide;
// it marks red-team intervals behind the lines drawn over it. It has no data range of
// its own: the bands never widen the axes.
type bands struct {
	Spans []span
	Color color.Color
}

var (
	_ plot.Plotter     = bands{}
	_ plot.Thumbnailer = bands{}
)

func (b bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, s := range b.Spans {
		fillRect(c, b.Color, trX(s.Lo), trX(s.Hi), c.Min.Y, c.Max.Y)
	}
}

func (b bands) Thumbnail(c *draw.Canvas) {
	fillRect(*c, b.Color, c.Min.X, c.Max.X, c.Min.Y, c.Max.Y)
}

// fillRect fills [x0, x1] × [y0, y1], widened about its centre to minBarWidth and
// clipped to the canvas.
func fillRect(c draw.Canvas, clr color.Color, x0, x1, y0, y1 vg.Length) {
	if w := x1 - x0; w < minBarWidth {
		mid := (x0 + x1) / 2
		x0, x1 = mid-minBarWidth/2, mid+minBarWidth/2
	}
	pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	c.FillPolygon(clr, c.ClipPolygonXY(pts))
}

// mergeSpans joins spans that touch or overlap; the input must be sorted by Lo. Runs of
// consecutive red-team intervals become one band instead of many slivers.
func mergeSpans(spans []span) []span {
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.Lo <= out[n-1].Hi {
			out[n-1].Hi = max(out[n-1].Hi, s.Hi)
			continue
		}
		out = append(out, s)
	}
	return out
}
