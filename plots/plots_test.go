package plots

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// lanlStart is where LANL's relative timestamps begin.
var lanlStart = time.Unix(0, 0).UTC()

// hourlyScores is 58 days of hourly Δ(t), LANL's length, with noise, a few spikes and
// red-team activity in a handful of runs of hours.
func hourlyScores(seed uint64) []IntervalScore {
	rng := rand.New(rand.NewPCG(seed, seed))
	pts := make([]IntervalScore, 58*24)
	for i := range pts {
		score := rng.NormFloat64()*0.5 + 2 + math.Sin(float64(i)/24*2*math.Pi)
		red := i%200 >= 150 && i%200 < 156
		if red {
			score += 4
		}
		pts[i] = IntervalScore{Start: lanlStart.Add(time.Duration(i) * time.Hour), Score: score, RedTeam: red}
	}
	pts[0].Score = math.NaN() // the first interval has no predecessor
	return pts
}

// attackCounts is red-team activity in bursts, as in LANL's redteam.txt: a few busy
// periods of a few hours each on some days, nothing in between.
func attackCounts(per time.Duration, n int) []IntervalCount {
	var counts []IntervalCount
	for i := range n {
		if c := (i * 7919) % 23; c > 12 && (i/12)%5 == 1 || per >= 24*time.Hour && i%4 != 0 {
			counts = append(counts, IntervalCount{Start: lanlStart.Add(time.Duration(i) * per), Count: c%13 + 1})
		}
	}
	return counts
}

// rocCurve is an n-point ROC curve, nondecreasing in both coordinates, shaped like a
// good detector's.
func rocCurve(n int) []CurvePoint {
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([]CurvePoint, n)
	pts[n-1] = CurvePoint{1, 1}
	for i := 1; i < n-1; i++ {
		prev := pts[i-1]
		if rng.Float64() < 0.5 {
			pts[i] = CurvePoint{prev.X, math.Min(1, prev.Y+rng.Float64()*4/float64(n))}
		} else {
			pts[i] = CurvePoint{math.Min(1, prev.X+rng.Float64()*4/float64(n)), prev.Y}
		}
	}
	for i := range pts { // bend it above the diagonal, keeping it monotone
		pts[i].Y = math.Sqrt(pts[i].Y)
	}
	return pts
}

// prCurve is an n-point sawtooth precision-recall curve falling to rate.
func prCurve(n int, rate float64) []CurvePoint {
	pts := make([]CurvePoint, n)
	for i := range pts {
		r := float64(i+1) / float64(n)
		pts[i] = CurvePoint{r, rate + (1-rate)*math.Exp(-4*r)*(0.9+0.1*math.Cos(float64(i)))}
	}
	return pts
}

func topSeries() []Series {
	base := hourlyScores(9)
	var series []Series
	for k := range 5 {
		pts := make([]IntervalScore, len(base))
		for i, p := range base {
			pts[i] = IntervalScore{Start: p.Start, Score: p.Score*float64(k+1)/3 + float64(k), RedTeam: p.RedTeam && k == 1}
		}
		series = append(series, Series{Name: []string{"U66@DOM1", "C17693", "C1015 → C457", "U12@DOM1", strings.Repeat("C", 60)}[k], Points: pts})
	}
	return series
}

// draws are one call of each plot on realistic input, by file name.
var draws = map[string]func(path string) error{
	"attacks_hour.png": func(path string) error {
		return AttackBars(path, "red-team events per hour", time.Hour, attackCounts(time.Hour, 58*24))
	},
	"attacks_day.png": func(path string) error {
		return AttackBars(path, "red-team events per day", 24*time.Hour, attackCounts(24*time.Hour, 58))
	},
	"delta.png": func(path string) error {
		return IntervalScores(path, "Δ(t), hourly intervals", hourlyScores(1))
	},
	"top.png": func(path string) error {
		return TopArtifacts(path, "top artifacts", topSeries())
	},
	"roc.png": func(path string) error {
		return ROC(path, "ROC, (interval, entity) pairs",
			map[string][]CurvePoint{"roles": rocCurve(100_000), "degree": {{0, 0}, {0.3, 0.5}, {1, 1}}},
			map[string]float64{"roles": 0.873, "degree": 0.6})
	},
	"pr.png": func(path string) error {
		return PR(path, "precision-recall, (interval, entity) pairs",
			map[string][]CurvePoint{"roles": prCurve(100_000, 0.02)}, map[string]float64{"roles": 0.31}, 0.02)
	},
}

var sizes = map[string]image.Point{
	"attacks_hour.png": {1000, 400}, "attacks_day.png": {1000, 400}, "delta.png": {1000, 400},
	"top.png": {1000, 400}, "roc.png": {800, 500}, "pr.png": {800, 500},
}

// firstDraws holds one draw of each plot of draws, made on first use and looked at by
// every test that checks a drawn file (TestDeterministic draws each a second time).
// LANLQ_PLOTS_DIR keeps them for looking at them; otherwise they are removed by TestMain.
var firstDraws struct {
	mu    sync.Mutex
	dir   string
	keep  bool
	paths map[string]string
	took  map[string]time.Duration
}

// firstDraw returns the path of the first draw of the plot name and how long it took.
func firstDraw(t *testing.T, name string) (string, time.Duration) {
	t.Helper()
	f := &firstDraws
	f.mu.Lock()
	defer f.mu.Unlock()
	if path, ok := f.paths[name]; ok {
		return path, f.took[name]
	}
	if f.dir == "" {
		f.dir, f.keep = os.Getenv("LANLQ_PLOTS_DIR"), true
		if f.dir == "" {
			dir, err := os.MkdirTemp("", "lanlq-plots-test-")
			if err != nil {
				t.Fatal(err)
			}
			f.dir, f.keep = dir, false
		}
		f.paths, f.took = map[string]string{}, map[string]time.Duration{}
	}
	path := filepath.Join(f.dir, name)
	start := time.Now()
	if err := draws[name](path); err != nil {
		t.Fatal(err)
	}
	f.paths[name], f.took[name] = path, time.Since(start)
	return path, f.took[name]
}

func TestMain(m *testing.M) {
	code := m.Run()
	if !firstDraws.keep && firstDraws.dir != "" {
		os.RemoveAll(firstDraws.dir)
	}
	os.Exit(code)
}

func TestPlotsArePNGs(t *testing.T) {
	for name := range draws {
		t.Run(name, func(t *testing.T) {
			path, took := firstDraw(t, name)
			t.Logf("%s drawn in %v", name, took)
			img := decodePNG(t, path)
			if got, want := img.Bounds().Size(), sizes[name]; got != want {
				t.Errorf("size %v, want %v", got, want)
			}
			if n := pixelsNot(img, img.At(0, 0)); n < img.Bounds().Dx()*img.Bounds().Dy()/100 {
				t.Errorf("only %d pixels differ from the background: blank image?", n)
			}
		})
	}
}

// TestRedTeamMarked checks that plots meant to show the red team have red in them.
func TestRedTeamMarked(t *testing.T) {
	for _, name := range []string{"attacks_hour.png", "delta.png", "top.png"} {
		path, _ := firstDraw(t, name)
		img := decodePNG(t, path)
		reddish := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if r > 0xC000 && g < r*85/100 && bl < r*85/100 {
					reddish++
				}
			}
		}
		if reddish < 100 {
			t.Errorf("%s: %d reddish pixels, want the red team marked", name, reddish)
		}
	}
}

func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	for name, draw := range draws {
		a, _ := firstDraw(t, name)
		b := filepath.Join(dir, "b_"+name)
		if err := draw(b); err != nil {
			t.Fatal(err)
		}
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ab, bb) {
			t.Errorf("%s: two draws of the same input differ", name)
		}
	}
}

// TestCurveOrderDeterministic draws many equally scored curves: map order must not leak
// into colours or legend.
func TestCurveOrderDeterministic(t *testing.T) {
	dir := t.TempDir()
	curves := map[string][]CurvePoint{}
	auc := map[string]float64{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		curves[name] = []CurvePoint{{0, 0}, {0.5, float64(len(name)) / 2}, {1, 1}}
		auc[name] = 0.75
	}
	var first []byte
	for i := range 5 {
		path := filepath.Join(dir, "roc.png")
		if err := ROC(path, "ties", curves, auc); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if i == 0 {
			first = got
		} else if !bytes.Equal(got, first) {
			t.Fatalf("draw %d differs from the first", i)
		}
	}
}

func TestEmptyInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.png")
	nan := math.NaN()
	for name, err := range map[string]error{
		"AttackBars":           AttackBars(path, "", time.Hour, nil),
		"IntervalScores":       IntervalScores(path, "", nil),
		"IntervalScores NaN":   IntervalScores(path, "", []IntervalScore{{Start: lanlStart, Score: nan}}),
		"TopArtifacts":         TopArtifacts(path, "", nil),
		"TopArtifacts empty":   TopArtifacts(path, "", []Series{{Name: "U1"}}),
		"ROC":                  ROC(path, "", nil, nil),
		"ROC empty curve":      ROC(path, "", map[string][]CurvePoint{"x": nil}, nil),
		"PR":                   PR(path, "", map[string][]CurvePoint{}, nil, 0.1),
		"PR empty curve":       PR(path, "", map[string][]CurvePoint{"x": {}}, nil, 0.1),
		"TopArtifacts all NaN": TopArtifacts(path, "", []Series{{Name: "U1", Points: []IntervalScore{{Start: lanlStart, Score: nan}}}}),
	} {
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("%s: err = %v, want ErrEmpty", name, err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed plot left a file behind (stat: %v)", err)
	}
}

func TestInvalidInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.png")
	one := []IntervalCount{{Start: lanlStart, Count: 1}}
	for name, err := range map[string]error{
		"zero width":     AttackBars(path, "", 0, one),
		"negative count": AttackBars(path, "", time.Hour, []IntervalCount{{Start: lanlStart, Count: -1}}),
		"NaN on curve":   ROC(path, "", map[string][]CurvePoint{"x": {{0, 0}, {math.NaN(), 1}}}, nil),
		"Inf on curve":   PR(path, "", map[string][]CurvePoint{"x": {{0, math.Inf(1)}}}, nil, 0.1),
		"baseline > 1":   PR(path, "", map[string][]CurvePoint{"x": {{0, 1}}}, nil, 2),
		"baseline NaN":   PR(path, "", map[string][]CurvePoint{"x": {{0, 1}}}, nil, math.NaN()),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestUnwritablePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "x.png")
	if err := IntervalScores(path, "", hourlyScores(1)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v, want the failed path", err)
	}
}

// TestSmallInputs draws the degenerate cases a short run produces.
func TestSmallInputs(t *testing.T) {
	dir := t.TempDir()
	one := []IntervalScore{{Start: lanlStart, Score: 1, RedTeam: true}}
	for name, err := range map[string]error{
		"one bar":       AttackBars(filepath.Join(dir, "a.png"), "", time.Hour, []IntervalCount{{Start: lanlStart, Count: 3}}),
		"zero bars":     AttackBars(filepath.Join(dir, "b.png"), "", time.Hour, []IntervalCount{{Start: lanlStart}}),
		"one interval":  IntervalScores(filepath.Join(dir, "c.png"), "", one),
		"one artifact":  TopArtifacts(filepath.Join(dir, "d.png"), "", []Series{{Name: "U1", Points: one}}),
		"one point ROC": ROC(filepath.Join(dir, "e.png"), "", map[string][]CurvePoint{"x": {{0.5, 0.5}}}, nil),
		"no baseline":   PR(filepath.Join(dir, "f.png"), "", map[string][]CurvePoint{"x": {{0, 1}, {1, 0.5}}}, nil, 0),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestThinKeepsShape(t *testing.T) {
	roc := rocCurve(100_000)
	xys := make(plotter.XYs, len(roc))
	for i, p := range roc {
		xys[i] = plotter.XY{X: p.X, Y: p.Y}
	}
	got := thin(xys)
	if len(got) > maxLinePoints || len(got) < 100 {
		t.Fatalf("thinned to %d points, want between 100 and %d", len(got), maxLinePoints)
	}
	if got[0] != xys[0] || got[len(got)-1] != xys[len(xys)-1] {
		t.Errorf("first/last %v %v, want %v %v", got[0], got[len(got)-1], xys[0], xys[len(xys)-1])
	}
	for i := 1; i < len(got); i++ {
		if got[i].X < got[i-1].X || got[i].Y < got[i-1].Y {
			t.Fatalf("thinned ROC curve not monotone at %d: %v after %v", i, got[i], got[i-1])
		}
	}
	// Every dropped point lies within a bucket's width of the kept line's X and inside
	// the Y range of the kept points around it: the drawn shape cannot change by more
	// than a pixel.
	bucketWidth := 1.0 / thinBuckets
	k := 0
	for _, p := range xys {
		for k+1 < len(got) && got[k+1].X <= p.X {
			k++
		}
		lo, hi := got[max(k-1, 0)], got[min(k+1, len(got)-1)]
		if p.Y < min(lo.Y, hi.Y) || p.Y > max(lo.Y, hi.Y) || p.X-got[k].X > bucketWidth+1e-12 {
			// Monotone: the point lies on the staircase between neighbours.
			t.Fatalf("dropped point %v is off the thinned curve near %v", p, got[k])
		}
	}
}

func TestThinKeepsSpikes(t *testing.T) {
	xys := make(plotter.XYs, 100_000)
	for i := range xys {
		xys[i] = plotter.XY{X: float64(i), Y: math.Sin(float64(i) / 1000)}
	}
	xys[31_337].Y, xys[77_777].Y = 50, -50
	got := thin(xys)
	if len(got) > maxLinePoints {
		t.Fatalf("%d points, want at most %d", len(got), maxLinePoints)
	}
	var hi, lo bool
	for _, p := range got {
		hi = hi || p == xys[31_337]
		lo = lo || p == xys[77_777]
	}
	if !hi || !lo {
		t.Errorf("spikes kept: up %v, down %v", hi, lo)
	}
	small := xys[:maxLinePoints]
	if got := thin(small); len(got) != len(small) {
		t.Errorf("a line of %d points was thinned to %d", len(small), len(got))
	}
}

func TestTimeTicks(t *testing.T) {
	for _, tc := range []struct {
		span      time.Duration
		major     time.Duration
		wantColon bool
	}{
		{58 * 24 * time.Hour, 7 * 24 * time.Hour, false},
		{3 * 24 * time.Hour, 12 * time.Hour, true},
		{6 * time.Hour, time.Hour, true},
		{2 * time.Minute, time.Minute, true},
		{1000 * 24 * time.Hour, 4 * 28 * 24 * time.Hour, false},
	} {
		major, minor := timeStep(tc.span.Seconds(), maxTimeLabels(wideWidth))
		if major != tc.major || major%minor != 0 {
			t.Errorf("span %v: steps %v/%v, want major %v and a minor dividing it", tc.span, major, minor, tc.major)
		}
		p := newPlot("")
		lo := unixSeconds(lanlStart.Add(90 * time.Minute))
		setTimeAxis(p, lo, lo+tc.span.Seconds(), wideWidth)
		labels := 0
		for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			if tk.IsMinor() {
				continue
			}
			labels++
			at := time.Unix(int64(tk.Value), 0).UTC()
			if at.Unix()%int64(major.Seconds()) != 0 { // whole steps since the Unix epoch
				t.Errorf("span %v: label at %v is not on a whole %v", tc.span, at, major)
			}
			if strings.Contains(tk.Label, ":") != tc.wantColon || !strings.HasPrefix(tk.Label, "19") {
				t.Errorf("span %v: label %q", tc.span, tk.Label)
			}
		}
		if labels < 2 || labels > maxTimeLabels(wideWidth) {
			t.Errorf("span %v: %d labels", tc.span, labels)
		}
	}
	// A legend column leaves less room, so labels space out.
	wide, _ := timeStep((58 * 24 * time.Hour).Seconds(), maxTimeLabels(wideWidth))
	narrow, _ := timeStep((58 * 24 * time.Hour).Seconds(), maxTimeLabels(wideWidth-3*vg.Inch))
	if narrow <= wide {
		t.Errorf("58 days on a narrower axis: step %v, want wider than %v", narrow, wide)
	}
}

func TestWholeTicks(t *testing.T) {
	for _, hi := range []float64{1, 2, 3, 7, 13, 250} {
		labels := 0
		for _, tk := range (wholeTicks{}).Ticks(0, hi) {
			if tk.Value != math.Trunc(tk.Value) {
				t.Errorf("max %v: tick at %v", hi, tk.Value)
			}
			if !tk.IsMinor() {
				labels++
			}
		}
		if labels < 2 {
			t.Errorf("max %v: %d labelled ticks", hi, labels)
		}
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func pixelsNot(img image.Image, bg interface{ RGBA() (r, g, b, a uint32) }) int {
	br, bgg, bb, ba := bg.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if r != br || g != bgg || bl != bb || a != ba {
				n++
			}
		}
	}
	return n
}

func BenchmarkROC100k(b *testing.B) {
	b.ReportAllocs()
	path := filepath.Join(b.TempDir(), "roc.png")
	curves := map[string][]CurvePoint{"roles": rocCurve(100_000)}
	for b.Loop() {
		if err := ROC(path, "ROC", curves, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntervalScores58Days(b *testing.B) {
	b.ReportAllocs()
	path := filepath.Join(b.TempDir(), "delta.png")
	pts := hourlyScores(1)
	for b.Loop() {
		if err := IntervalScores(path, "Δ(t)", pts); err != nil {
			b.Fatal(err)
		}
	}
}
