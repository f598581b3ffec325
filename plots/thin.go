package plots

import "gonum.org/v1/plot/plotter"

// Thinning bounds. A 10-inch plot at 100 dpi has about 900 pixels of data area, so
// 1,500 buckets across the X range are finer than a pixel; a thinned line has at most
// four points per bucket.
const (
	maxLinePoints = 6000
	thinBuckets   = maxLinePoints / 4
)

// thin returns a subsequence of xys that draws as the same line at plot resolution.
//
// The X range is cut into thinBuckets equal buckets; every run of consecutive points
// falling in one bucket is replaced by its first, lowest, highest and last points, in
// their original order. The vertical extent of each run is kept exactly (spikes in Δ(t),
// the vertical steps of a ROC curve) and no point moves sideways by more than a bucket.
// Because the result is a subsequence, the first and last points stay and a monotone
// curve stays monotone. Inputs of at most maxLinePoints points are returned as they are.
func thin(xys plotter.XYs) plotter.XYs {
	if len(xys) <= maxLinePoints {
		return xys
	}
	xmin, xmax := xys[0].X, xys[0].X
	for _, p := range xys {
		xmin = min(xmin, p.X)
		xmax = max(xmax, p.X)
	}
	bucket := func(x float64) int {
		if xmax == xmin {
			return 0
		}
		return min(int((x-xmin)/(xmax-xmin)*thinBuckets), thinBuckets-1)
	}

	out := make(plotter.XYs, 0, maxLinePoints)
	for start := 0; start < len(xys); {
		b := bucket(xys[start].X)
		end, lo, hi := start+1, start, start
		for ; end < len(xys) && bucket(xys[end].X) == b; end++ {
			if xys[end].Y < xys[lo].Y {
				lo = end
			}
			if xys[end].Y > xys[hi].Y {
				hi = end
			}
		}
		last := end - 1
		keep := [4]int{start, min(lo, hi), max(lo, hi), last}
		prev := -1
		for _, i := range keep {
			if i != prev {
				out = append(out, xys[i])
				prev = i
			}
		}
		start = end
	}
	return out
}
