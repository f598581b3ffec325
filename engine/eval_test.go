package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lanlq/lanlq/lanl"
)

// bruteKey is an (interval, entity) pair.
type bruteKey struct {
	start  int64 // unix seconds
	entity string
}

type bruteEval struct {
	positives map[bruteKey]bool
	scores    []float64
	labels    []bool
	unscored  []bruteKey
}

// bruteForceEval labels the scores of scoresPath by hand, in plain Go, from the rows of
// the redteam view and of the file, as DESIGN.md defines it.
func bruteForceEval(t *testing.T, s *Session, scoresPath string, width, lo, hi int64) bruteEval {
	t.Helper()
	ctx := context.Background()
	positives := map[bruteKey]bool{}
	rows, err := s.Query(ctx, "SELECT time, userdomain_source, computer_source, computer_destination FROM redteam")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tm int64
		var u, cs, cd string
		if err := rows.Scan(&tm, &u, &cs, &cd); err != nil {
			t.Fatal(err)
		}
		if tm < lo || tm >= hi {
			continue
		}
		start := lanl.Origin.Unix() + tm/width*width
		for _, e := range []string{u, cs, cd} {
			positives[bruteKey{start, e}] = true
		}
	}
	rows.Close()

	best := map[bruteKey]float64{}
	rows, err = s.Query(ctx, "SELECT interval_start, value, score FROM read_parquet(?)", scoresPath)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var st time.Time
		var v string
		var sc float64
		if err := rows.Scan(&st, &v, &sc); err != nil {
			t.Fatal(err)
		}
		k := bruteKey{st.Unix(), v}
		if old, ok := best[k]; !ok || sc > old {
			best[k] = sc
		}
	}
	rows.Close()

	bf := bruteEval{positives: positives}
	for k, sc := range best {
		bf.scores = append(bf.scores, sc)
		bf.labels = append(bf.labels, positives[k])
	}
	for k := range positives {
		if _, ok := best[k]; !ok {
			bf.unscored = append(bf.unscored, k)
		}
	}
	slices.SortFunc(bf.unscored, func(a, b bruteKey) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.entity, b.entity))
	})
	return bf
}

// mannWhitneyAUC is the ROC AUC by its definition: the chance that a positive outscores
// a negative, ties counting one half.
func mannWhitneyAUC(scores []float64, labels []bool) float64 {
	var pos, neg []float64
	for i, s := range scores {
		if labels[i] {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	wins := 0.0
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				wins++
			case p == n:
				wins += 0.5
			}
		}
	}
	return wins / float64(len(pos)*len(neg))
}

type scoredLabel struct {
	score float64
	label bool
}

func sortedPairs(scores []float64, labels []bool) []scoredLabel {
	out := make([]scoredLabel, len(scores))
	for i := range scores {
		out[i] = scoredLabel{scores[i], labels[i]}
	}
	slices.SortFunc(out, func(a, b scoredLabel) int {
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		switch {
		case a.label == b.label:
			return 0
		case a.label:
			return 1
		}
		return -1
	})
	return out
}

// checkEvaluate compares Evaluate on the results in outDir with a brute-force
// labelling, then again on a copy of the scores with some red-team entities removed
// (so that some positives are unscored) and only experiment.json beside it.
func checkEvaluate(t *testing.T, s *Session, outDir string) {
	ctx := context.Background()
	scores := filepath.Join(outDir, ScoresFile)
	var exp Experiment
	b, err := os.ReadFile(filepath.Join(outDir, ExperimentFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	first, _ := time.Parse(time.DateTime, exp.FirstInterval)
	last, _ := time.Parse(time.DateTime, exp.LastInterval)
	w := exp.IntervalSeconds
	lo, hi := int64(first.Sub(lanl.Origin)/time.Second), int64(last.Sub(lanl.Origin)/time.Second)+w

	// A copy without the rows of three red-team destinations.
	cut := t.TempDir()
	cutScores := filepath.Join(cut, ScoresFile)
	if err := s.Exec(ctx, `COPY (SELECT * FROM read_parquet('`+escapeLiteral(scores)+`')
		WHERE value NOT IN (SELECT DISTINCT computer_destination FROM redteam ORDER BY 1 LIMIT 3))
		TO '`+escapeLiteral(cutScores)+`' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cut, ExperimentFile), b, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{scores, cutScores} {
		rep, err := s.Evaluate(ctx, path, 0)
		if err != nil {
			t.Fatal(err)
		}
		bf := bruteForceEval(t, s, path, w, lo, hi)
		m := rep.Entities
		pos := 0
		for _, l := range bf.labels {
			if l {
				pos++
			}
		}
		if m.N != len(bf.scores) || m.Positives != pos || pos == 0 {
			t.Errorf("%s: n %d positives %d, brute force %d and %d", path, m.N, m.Positives, len(bf.scores), pos)
		}
		// The labelled pairs themselves, not only their counts.
		sc, err := s.scope(ctx, path, 0)
		if err != nil {
			t.Fatal(err)
		}
		pairs, err := s.entityPairs(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		var gotS []float64
		var gotL []bool
		for _, p := range pairs {
			if !math.IsNaN(p.score) {
				gotS, gotL = append(gotS, p.score), append(gotL, p.positive)
			}
		}
		if !slices.Equal(sortedPairs(gotS, gotL), sortedPairs(bf.scores, bf.labels)) {
			t.Errorf("%s: labelled (score, label) pairs differ from brute force", path)
		}
		if want := mannWhitneyAUC(bf.scores, bf.labels); math.Abs(float64(m.AUC)-want) > 1e-12 {
			t.Errorf("%s: AUC %v, brute force %v", path, m.AUC, want)
		}
		if !(m.AP > 0 && m.AP <= 1) || len(m.AtK) != 3 || m.AtK[2].K != 1000 || len(m.ROC) < 2 || len(m.PR) < 2 {
			t.Errorf("%s: metrics %+v", path, m)
		}
		// Unscored positives are reported, never dropped.
		var got []bruteKey
		for _, u := range rep.Unscored {
			st, _ := time.Parse(time.DateTime, u.IntervalStart)
			got = append(got, bruteKey{st.Unix(), u.Entity})
		}
		if !slices.Equal(got, bf.unscored) && (len(got) > 0 || len(bf.unscored) > 0) {
			t.Errorf("%s: unscored %v, brute force %v", path, got, bf.unscored)
		}
		if rep.RedTeam.Pairs != pos+len(bf.unscored) || rep.RedTeam.Unscored != len(bf.unscored) || rep.RedTeam.Scored != pos {
			t.Errorf("%s: red-team counts %+v, brute force %d scored %d unscored", path, rep.RedTeam, pos, len(bf.unscored))
		}
		if path == cutScores {
			if len(bf.unscored) == 0 {
				t.Errorf("the cut copy has no unscored positives")
			}
			if rep.Intervals != nil {
				t.Errorf("interval metrics without interval_scores.parquet")
			}
			continue
		}

		// Intervals: Δ(t) against "holds red-team events".
		redIntervals := map[int64]bool{}
		rows, err := s.Query(ctx, "SELECT time FROM redteam")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var tm int64
			rows.Scan(&tm)
			if tm >= lo && tm < hi {
				redIntervals[lanl.Origin.Unix()+tm/w*w] = true
			}
		}
		rows.Close()
		var is []float64
		var il []bool
		rows, err = s.Query(ctx, "SELECT interval_start, score FROM read_parquet(?) WHERE score IS NOT NULL", filepath.Join(outDir, IntervalScoresFile))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st time.Time
			var v float64
			rows.Scan(&st, &v)
			is, il = append(is, v), append(il, redIntervals[st.Unix()])
		}
		rows.Close()
		if rep.Intervals == nil || rep.Intervals.N != len(is) || rep.RedTeam.Intervals != len(redIntervals) {
			t.Fatalf("interval metrics %+v, brute force n %d red %d", rep.Intervals, len(is), len(redIntervals))
		}
		if want := mannWhitneyAUC(is, il); math.Abs(float64(rep.Intervals.AUC)-want) > 1e-12 {
			t.Errorf("interval AUC %v, brute force %v", rep.Intervals.AUC, want)
		}

		// Top anomalies are the highest scores outside the warm-up, labelled as the
		// pairs are.
		top, err := s.TopAnomalies(ctx, path, 20, 0)
		if err != nil || len(top) != 20 {
			t.Fatalf("top anomalies: %d, %v", len(top), err)
		}
		maxScore := 0.0
		if err := s.QueryRow(ctx, "SELECT max(score) FROM read_parquet(?) WHERE NOT warmup", path).Scan(&maxScore); err != nil {
			t.Fatal(err)
		}
		if top[0].Score != maxScore || !slices.IsSortedFunc(top, func(a, b Anomaly) int { return cmp.Compare(b.Score, a.Score) }) {
			t.Errorf("top anomalies not the highest scores: %v (max %v)", top[0].Score, maxScore)
		}
		for _, a := range top {
			if a.RedTeam != bf.positives[bruteKey{a.IntervalStart.Unix(), a.Value}] {
				t.Errorf("top anomaly %s %s: red team %v", a.IntervalStart, a.Artifact, a.RedTeam)
			}
			if (a.RoleBefore == nil) != a.New {
				t.Errorf("top anomaly %s %s: new %v, role before %v", a.IntervalStart, a.Artifact, a.New, a.RoleBefore)
			}
		}
	}
}
