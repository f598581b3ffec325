package graphkit

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// directAUC is the Mann–Whitney statistic over all positive–negative pairs, ties
// counting one half.
func directAUC(scores []float64, labels []bool) float64 {
	num, pairs := 0.0, 0.0
	for i := range scores {
		if !labels[i] {
			continue
		}
		for j := range scores {
			if labels[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				num++
			case scores[i] == scores[j]:
				num += 0.5
			}
		}
	}
	return num / pairs
}

// directAP is Σ (R_t − R_prev)·P_t over the distinct scores t in decreasing order,
// precision and recall at threshold t counted directly.
func directAP(scores []float64, labels []bool) float64 {
	thr := slices.Clone(scores)
	sort.Sort(sort.Reverse(sort.Float64Slice(thr)))
	thr = slices.Compact(thr)
	pos := 0
	for _, l := range labels {
		if l {
			pos++
		}
	}
	ap, prevR := 0.0, 0.0
	for _, t := range thr {
		tp, sel := 0, 0
		for i, s := range scores {
			if s >= t {
				sel++
				if labels[i] {
					tp++
				}
			}
		}
		r := float64(tp) / float64(pos)
		ap += (r - prevR) * float64(tp) / float64(sel)
		prevR = r
	}
	return ap
}

// directPrecisionAtK averages precision@k over every order of the tied scores
// (all permutations, so only for small inputs).
func directPrecisionAtK(scores []float64, labels []bool, k int) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	total, count := 0.0, 0
	var perm func(int)
	perm = func(m int) {
		if m == len(idx) {
			// Only orders sorted by decreasing score.
			for i := 1; i < len(idx); i++ {
				if scores[idx[i]] > scores[idx[i-1]] {
					return
				}
			}
			tp := 0
			for _, i := range idx[:k] {
				if labels[i] {
					tp++
				}
			}
			total += float64(tp) / float64(k)
			count++
			return
		}
		for i := m; i < len(idx); i++ {
			idx[m], idx[i] = idx[i], idx[m]
			perm(m + 1)
			idx[m], idx[i] = idx[i], idx[m]
		}
	}
	perm(0)
	return total / float64(count)
}

func TestRankMetricsDirect(t *testing.T) {
	cases := []struct {
		scores []float64
		labels []bool
	}{
		{[]float64{0.9, 0.8, 0.7, 0.6}, []bool{true, false, true, false}},
		{[]float64{1, 1, 1, 1}, []bool{true, false, true, false}},
		{[]float64{3, 2, 2, 2, 1, 1}, []bool{false, true, false, true, true, false}},
		{[]float64{0.5, 0.1, 0.5, 0.9, 0.1, 0.5, 0.3}, []bool{true, false, false, true, true, false, true}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		n := 2 + rng.IntN(6)
		s, l := make([]float64, n), make([]bool, n)
		for i := range n {
			s[i] = float64(rng.IntN(4)) // many ties
			l[i] = rng.IntN(2) == 0
		}
		l[0], l[1] = true, false
		cases = append(cases, struct {
			scores []float64
			labels []bool
		}{s, l})
	}
	for ci, tc := range cases {
		ks := []int{1, 2, 3, len(tc.scores)}
		m := RankMetrics(tc.scores, tc.labels, ks)
		if want := directAUC(tc.scores, tc.labels); !near(m.AUC, want, 1e-12) {
			t.Errorf("case %d: AUC %v, direct %v", ci, m.AUC, want)
		}
		if want := directAP(tc.scores, tc.labels); !near(m.AP, want, 1e-12) {
			t.Errorf("case %d: AP %v, direct %v", ci, m.AP, want)
		}
		pos := 0
		for _, l := range tc.labels {
			if l {
				pos++
			}
		}
		for i, k := range ks {
			k = min(k, len(tc.scores)) // k beyond N is capped
			want := directPrecisionAtK(tc.scores, tc.labels, k)
			if !near(m.AtK[i].Precision, want, 1e-12) || !near(m.AtK[i].Recall, want*float64(k)/float64(pos), 1e-12) {
				t.Errorf("case %d: @%d precision %v recall %v, direct precision %v", ci, k, m.AtK[i].Precision, m.AtK[i].Recall, want)
			}
		}
		// The ROC curve's trapezoid area is the AUC.
		roc := ROCCurve(tc.scores, tc.labels)
		area := 0.0
		for i := 1; i < len(roc); i++ {
			area += (roc[i].FPR - roc[i-1].FPR) * (roc[i].TPR + roc[i-1].TPR) / 2
		}
		if !near(area, m.AUC, 1e-12) || roc[len(roc)-1].FPR != 1 || roc[len(roc)-1].TPR != 1 {
			t.Errorf("case %d: ROC area %v, AUC %v, end %+v", ci, area, m.AUC, roc[len(roc)-1])
		}
		// The PR curve's step sum is the AP.
		pr := PRCurve(tc.scores, tc.labels)
		ap := 0.0
		for i := 1; i < len(pr); i++ {
			ap += (pr[i].Recall - pr[i-1].Recall) * pr[i].Precision
		}
		if !near(ap, m.AP, 1e-12) {
			t.Errorf("case %d: PR step area %v, AP %v", ci, ap, m.AP)
		}
	}
}

// TestRankMetricsSklearn: expected values of scikit-learn, worked out by hand with its
// definitions (PyPI is not reachable here to run it); the script that reproduces them:
//
//	from sklearn.metrics import roc_auc_score, average_precision_score
//	y = [1, 0, 1, 1, 0, 0, 1, 0]
//	s = [0.9, 0.8, 0.8, 0.6, 0.5, 0.5, 0.3, 0.1]
//	roc_auc_score(y, s)            # 0.71875 = 11.5/16
//	average_precision_score(y, s)  # 0.7470238095238095 = 1/4 + 1/6 + 3/16 + 1/7 = 251/336
//
// AUC: the positives at 0.9, 0.8, 0.6, 0.3 beat 4, 3 (+½ for the tie at 0.8), 3 and 1
// of the 4 negatives. AP: recall steps of ¼ at thresholds 0.9, 0.8, 0.6, 0.3 with
// precisions 1, 2/3, 3/4, 4/7.
func TestRankMetricsSklearn(t *testing.T) {
	labels := []bool{true, false, true, true, false, false, true, false}
	scores := []float64{0.9, 0.8, 0.8, 0.6, 0.5, 0.5, 0.3, 0.1}
	m := RankMetrics(scores, labels, []int{2, 3, 100})
	if !near(m.AUC, 0.71875, 1e-15) {
		t.Errorf("AUC %v, want 0.71875", m.AUC)
	}
	if !near(m.AP, 0.7470238095238095, 1e-15) {
		t.Errorf("AP %v, want 0.7470238095238095", m.AP)
	}
	// @2: 0.9 (positive) plus half of the tie at 0.8 (one positive of two) → 1.5/2.
	// @3: 0.9 and both 0.8 → 2/3. @100 is capped at 8 → 4/8.
	want := []AtK{{2, 0.75, 0.375}, {3, 2.0 / 3, 0.5}, {100, 0.5, 1}}
	for i, w := range want {
		g := m.AtK[i]
		if g.K != w.K || !near(g.Precision, w.Precision, 1e-15) || !near(g.Recall, w.Recall, 1e-15) {
			t.Errorf("@%d: %+v, want %+v", w.K, g, w)
		}
	}
}

func TestRankMetricsDegenerate(t *testing.T) {
	m := RankMetrics([]float64{1, 2}, []bool{false, false}, []int{1})
	if !math.IsNaN(m.AUC) || !math.IsNaN(m.AP) || m.AtK[0].Precision != 0 || !math.IsNaN(m.AtK[0].Recall) {
		t.Errorf("no positives: %+v", m)
	}
	m = RankMetrics(nil, nil, []int{5})
	if !math.IsNaN(m.AUC) || !math.IsNaN(m.AtK[0].Precision) {
		t.Errorf("empty: %+v", m)
	}
	// NaN scores rank last.
	m = RankMetrics([]float64{math.NaN(), 0.1}, []bool{false, true}, nil)
	if m.AUC != 1 {
		t.Errorf("NaN score: AUC %v, want 1", m.AUC)
	}
}
