package graphkit

import (
	"fmt"
	"math"
	"sort"
)

// Metrics are ranking metrics of scores against binary labels (higher score = more
// likely positive).
type Metrics struct {
	N, Positives int
	// AUC is the area under the ROC curve by the trapezoid rule over all distinct
	// thresholds, which equals the Mann–Whitney statistic with half credit for tied
	// positive–negative pairs (scikit-learn's roc_auc_score). NaN without both classes.
	AUC float64
	// AP is average precision as scikit-learn defines it: Σn (Rn − Rn−1)·Pn over the
	// distinct thresholds in decreasing order (tied scores form one step, no
	// interpolation). NaN without positives.
	AP float64
	// AtK holds precision and recall at each requested k.
	AtK []AtK
}

// AtK is precision and recall among the k highest scores. When a run of tied scores
// straddles rank k, the tie is credited in proportion (the expectation over random
// orderings of the tie), so the values do not depend on input order. k larger than N is
// capped at N (K keeps the requested value).
type AtK struct {
	K         int
	Precision float64 // expected positives in the top k / k (NaN when N = 0 or k ≤ 0)
	Recall    float64 // expected positives in the top k / Positives (NaN without positives)
}

// ROCPoint is a point of the ROC curve: the rates when every score ≥ Threshold is
// called positive.
type ROCPoint struct{ Threshold, FPR, TPR float64 }

// PRPoint is a point of the precision–recall curve at a threshold.
type PRPoint struct{ Threshold, Recall, Precision float64 }

// rankGroup is a run of tied scores in decreasing order.
type rankGroup struct {
	score  float64
	tp, fp int // positives and negatives in the group
}

// rankGroups sorts by decreasing score (NaN ranks last, as −Inf) and groups ties.
func rankGroups(scores []float64, labels []bool) (groups []rankGroup, pos int) {
	if len(scores) != len(labels) {
		panic(fmt.Sprintf("graphkit: %d scores and %d labels", len(scores), len(labels)))
	}
	key := func(s float64) float64 {
		if math.IsNaN(s) {
			return math.Inf(-1)
		}
		return s
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return key(scores[idx[a]]) > key(scores[idx[b]]) })
	for k, i := range idx {
		s := key(scores[i])
		if k == 0 || s != groups[len(groups)-1].score {
			groups = append(groups, rankGroup{score: s})
		}
		g := &groups[len(groups)-1]
		if labels[i] {
			g.tp++
			pos++
		} else {
			g.fp++
		}
	}
	return groups, pos
}

// RankMetrics computes AUC, average precision and precision/recall at each k.
// scores and labels must have the same length.
func RankMetrics(scores []float64, labels []bool, ks []int) Metrics {
	groups, pos := rankGroups(scores, labels)
	n := len(scores)
	neg := n - pos
	m := Metrics{N: n, Positives: pos, AUC: math.NaN(), AP: math.NaN()}

	tp, fp := 0, 0
	auc, ap := 0.0, 0.0
	for _, g := range groups {
		// Trapezoid between (fp, tp) and (fp+g.fp, tp+g.tp).
		auc += float64(g.fp) * (float64(tp) + float64(g.tp)/2)
		tp += g.tp
		fp += g.fp
		if g.tp > 0 {
			ap += float64(g.tp) * float64(tp) / float64(tp+fp)
		}
	}
	if pos > 0 && neg > 0 {
		m.AUC = auc / (float64(pos) * float64(neg))
	}
	if pos > 0 {
		m.AP = ap / float64(pos)
	}

	for _, k := range ks {
		at := AtK{K: k, Precision: math.NaN(), Recall: math.NaN()}
		kk := min(k, n)
		if kk > 0 {
			hits, taken := 0.0, 0
			for _, g := range groups {
				size := g.tp + g.fp
				if taken+size <= kk {
					hits += float64(g.tp)
					taken += size
					continue
				}
				hits += float64(g.tp) * float64(kk-taken) / float64(size)
				break
			}
			at.Precision = hits / float64(kk)
			if pos > 0 {
				at.Recall = hits / float64(pos)
			}
		}
		m.AtK = append(m.AtK, at)
	}
	return m
}

// ROCCurve returns the ROC curve: (0,0) at threshold +Inf, then one point per distinct
// score in decreasing order, ending at (1,1). Collinear points are kept. Rates are NaN
// for a class that is absent.
func ROCCurve(scores []float64, labels []bool) []ROCPoint {
	groups, pos := rankGroups(scores, labels)
	neg := len(scores) - pos
	pts := make([]ROCPoint, 0, len(groups)+1)
	pts = append(pts, ROCPoint{Threshold: math.Inf(1), FPR: rate(0, neg), TPR: rate(0, pos)})
	tp, fp := 0, 0
	for _, g := range groups {
		tp += g.tp
		fp += g.fp
		pts = append(pts, ROCPoint{Threshold: g.score, FPR: rate(fp, neg), TPR: rate(tp, pos)})
	}
	return pts
}

// PRCurve returns the precision–recall curve: (recall 0, precision 1) at threshold
// +Inf, as scikit-learn's curve ends, then one point per distinct score in decreasing
// order. Recall is NaN without positives.
func PRCurve(scores []float64, labels []bool) []PRPoint {
	groups, pos := rankGroups(scores, labels)
	pts := make([]PRPoint, 0, len(groups)+1)
	pts = append(pts, PRPoint{Threshold: math.Inf(1), Recall: rate(0, pos), Precision: 1})
	tp, fp := 0, 0
	for _, g := range groups {
		tp += g.tp
		fp += g.fp
		pts = append(pts, PRPoint{Threshold: g.score, Recall: rate(tp, pos), Precision: float64(tp) / float64(tp+fp)})
	}
	return pts
}

func rate(k, of int) float64 {
	if of == 0 {
		return math.NaN()
	}
	return float64(k) / float64(of)
}
