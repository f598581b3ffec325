package graphkit

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// planted returns V = G0·F0 with G0 n×r and F0 r×f drawn from rng, G0 with some exact
// zeros (sparse memberships, as roles are) and F0 with distinct, well separated rows.
func planted(rng *rand.Rand, n, r, f int) (V, G0, F0 *mat.Dense) {
	G0 = mat.NewDense(n, r, nil)
	for i := range n {
		for a := range r {
			if rng.Float64() < 0.3 {
				continue
			}
			G0.Set(i, a, 0.2+rng.Float64())
		}
		G0.Set(i, i%r, G0.At(i, i%r)+0.5) // every row and role used
	}
	F0 = mat.NewDense(r, f, nil)
	for a := range r {
		for j := range f {
			x := 0.05 * rng.Float64()
			if j%r == a {
				x += 0.5 + rng.Float64()
			}
			F0.Set(a, j, x)
		}
	}
	V = mat.NewDense(n, f, nil)
	V.Mul(G0, F0)
	return V, G0, F0
}

func relFrobenius(a, b mat.Matrix) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, 2) / mat.Norm(b, 2)
}

func TestNMFMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 4 {
		n, f, r := 30+rng.IntN(300), 5+rng.IntN(20), 2+rng.IntN(5)
		V := mat.NewDense(n, f, nil)
		for i := range n {
			for j := range f {
				if rng.Float64() < 0.2 {
					continue // exact zeros, as in feature matrices
				}
				V.Set(i, j, rng.ExpFloat64())
			}
		}
		res, err := NMF(V, r, NMFConfig{MaxIter: 300, Tol: 1e-300, Trace: true}, rand.NewPCG(uint64(trial), 9))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Trace) < 10 {
			t.Fatalf("trial %d: only %d iterations", trial, len(res.Trace))
		}
		for k := 1; k < len(res.Trace); k++ {
			if res.Trace[k] > res.Trace[k-1]*(1+1e-12) {
				t.Errorf("trial %d: divergence rose at iteration %d: %v → %v", trial, k, res.Trace[k-1], res.Trace[k])
			}
		}
		if d := KLDivergence(V, res.G, res.F); math.Abs(d-res.Divergence) > 1e-9*d {
			t.Errorf("trial %d: reported divergence %v, recomputed %v", trial, res.Divergence, d)
		}
	}
}

func TestNMFDeterministic(t *testing.T) {
	V, _, _ := planted(rand.New(rand.NewPCG(2, 2)), 700, 3, 9) // several row blocks
	var runs []*NMFResult
	for _, workers := range []int{1, 2, 1} {
		res, err := NMF(V, 3, NMFConfig{MaxIter: 50, Workers: workers}, rand.NewPCG(5, 5))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, res)
	}
	for _, res := range runs[1:] {
		if !mat.Equal(res.G, runs[0].G) || !mat.Equal(res.F, runs[0].F) {
			t.Fatal("NMF differs between runs with the same seed")
		}
	}
	other, _ := NMF(V, 3, NMFConfig{MaxIter: 50}, rand.NewPCG(6, 6))
	if mat.Equal(other.G, runs[0].G) {
		t.Error("NMF does not depend on the seed")
	}
}

func TestNMFPlantedRecovery(t *testing.T) {
	V, _, _ := planted(rand.New(rand.NewPCG(3, 3)), 60, 3, 9)
	res, err := NMF(V, 3, NMFConfig{MaxIter: 3000, Tol: 1e-12}, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	var approx mat.Dense
	approx.Mul(res.G, res.F)
	if e := relFrobenius(&approx, V); e > 1e-3 {
		t.Errorf("relative reconstruction error %v after %d iterations, want < 1e-3", e, res.Iterations)
	} else {
		t.Logf("relative reconstruction error %.2g after %d iterations", e, res.Iterations)
	}
}

func TestProjectRolesTrueBasis(t *testing.T) {
	V, G0, F0 := planted(rand.New(rand.NewPCG(4, 4)), 200, 4, 10)
	for _, workers := range []int{1, 2} {
		var G mat.Dense
		if err := ProjectRoles(&G, V, F0, NMFConfig{MaxIter: 100000, Tol: 1e-13, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		if e := relFrobenius(&G, G0); e > 1e-6 {
			t.Errorf("workers %d: projection differs from G0 by %v (relative Frobenius)", workers, e)
		}
	}
	// Default settings are accurate enough for role memberships.
	var G mat.Dense
	if err := ProjectRoles(&G, V, F0, NMFConfig{}); err != nil {
		t.Fatal(err)
	}
	if e := relFrobenius(&G, G0); e > 2e-2 {
		t.Errorf("default projection differs from G0 by %v", e)
	}
	// A zero row projects to a zero row; reuse of a Reset buffer works.
	Z := mat.NewDense(2, 10, nil)
	Z.SetRow(1, V.RawRowView(0))
	G.Reset()
	if err := ProjectRoles(&G, Z, F0, NMFConfig{}); err != nil {
		t.Fatal(err)
	}
	if mat.Sum(G.RowView(0)) != 0 || mat.Sum(G.RowView(1)) == 0 {
		t.Errorf("zero row projection: %v", mat.Formatted(&G))
	}
}

// TestProjectRolesOptimal checks the Newton projection against an independent
// reference, the multiplicative G update run for many iterations (3000), on random
// non-negative data and a random basis (no exact solution): its divergence is never
// worse, and on rows where the reference has converged the memberships agree.
func TestProjectRolesOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	n, f, r := 40, 10, 5
	V := mat.NewDense(n, f, nil)
	F := mat.NewDense(r, f, nil)
	for _, m := range []*mat.Dense{V, F} {
		raw := m.RawMatrix()
		for i := range raw.Data {
			if rng.Float64() < 0.25 {
				continue
			}
			raw.Data[i] = rng.ExpFloat64()
		}
	}
	var G mat.Dense
	if err := ProjectRoles(&G, V, F, NMFConfig{}); err != nil {
		t.Fatal(err)
	}
	// Reference: Lee–Seung's G update with F fixed, 3000 times.
	ref := mat.NewDense(n, r, nil)
	for i := range n {
		for a := range r {
			ref.Set(i, a, 1)
		}
	}
	for range 3000 {
		var y mat.Dense
		y.Mul(ref, F)
		next := mat.NewDense(n, r, nil)
		for i := range n {
			for a := range r {
				num, den := 0.0, 0.0
				for j := range f {
					if V.At(i, j) > 0 {
						num += F.At(a, j) * V.At(i, j) / y.At(i, j)
					}
					den += F.At(a, j)
				}
				next.Set(i, a, ref.At(i, a)*num/den)
			}
		}
		ref = next
	}
	dNewton, dRef := KLDivergence(V, &G, F), KLDivergence(V, ref, F)
	if dNewton > dRef*(1+1e-9) {
		t.Errorf("Newton projection divergence %v, multiplicative reference %v", dNewton, dRef)
	}
	close := 0
	for i := range n {
		a, b := mat.Row(nil, i, &G), mat.Row(nil, i, ref)
		NormalizeMembership(a)
		NormalizeMembership(b)
		d := 0.0
		for k := range a {
			d += math.Abs(a[k] - b[k])
		}
		if d < 1e-3 {
			close++
		}
	}
	t.Logf("divergence: Newton %.12g, reference %.12g; %d of %d rows within 1e-3", dNewton, dRef, close, n)
	if close < n*3/4 {
		t.Errorf("only %d of %d rows agree with the reference", close, n)
	}
}

func TestNMFErrors(t *testing.T) {
	V := mat.NewDense(2, 2, []float64{1, -1, 0, 1})
	if _, err := NMF(V, 1, NMFConfig{}, rand.NewPCG(1, 1)); err == nil {
		t.Error("negative entry: no error")
	}
	if _, err := NMF(mat.NewDense(2, 2, nil), 0, NMFConfig{}, rand.NewPCG(1, 1)); err == nil {
		t.Error("rank 0: no error")
	}
	var G mat.Dense
	if err := ProjectRoles(&G, V, mat.NewDense(1, 2, []float64{1, 1}), NMFConfig{}); err == nil {
		t.Error("projection of a negative entry: no error")
	}
}

func TestFitRolesMDLPicksPlantedRank(t *testing.T) {
	V, _, _ := planted(rand.New(rand.NewPCG(5, 5)), 80, 3, 9)
	m, err := FitRoles(V, RolesConfig{NMF: NMFConfig{MaxIter: 1000, Tol: 1e-9}}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Candidates {
		t.Logf("r=%d model %.0f bits, error %.1f bits, total %.1f", c.Roles, c.ModelBits, c.ErrorBits, c.Total)
	}
	if m.Roles() != 3 {
		t.Errorf("MDL chose %d roles, want 3", m.Roles())
	}
	// The basis is canonical: unit L1 rows, roles by decreasing total membership.
	prev := math.Inf(1)
	for a := range m.Roles() {
		if s := mat.Sum(m.Basis.RowView(a)); math.Abs(s-1) > 1e-12 {
			t.Errorf("basis row %d sums to %v", a, s)
		}
		tot := mat.Sum(m.G.ColView(a))
		if tot > prev {
			t.Errorf("role %d total %v above role %d's %v", a, tot, a-1, prev)
		}
		prev = tot
	}
	var approx mat.Dense
	approx.Mul(m.G, m.Basis)
	if e := relFrobenius(&approx, V); e > 1e-3 {
		t.Errorf("canonical factors reconstruct V with error %v", e)
	}
}

func TestFitRolesFixedAndSampled(t *testing.T) {
	V, _, _ := planted(rand.New(rand.NewPCG(6, 6)), 500, 3, 8)
	m, err := FitRoles(V, RolesConfig{Roles: 4, MaxRows: 100, NMF: NMFConfig{MaxIter: 200}}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if m.Roles() != 4 || len(m.Rows) != 100 || len(m.Candidates) != 1 || !sort.IntsAreSorted(m.Rows) {
		t.Errorf("roles %d, rows %d, candidates %d", m.Roles(), len(m.Rows), len(m.Candidates))
	}
	m2, _ := FitRoles(V, RolesConfig{Roles: 4, MaxRows: 100, NMF: NMFConfig{MaxIter: 200}}, rand.NewPCG(1, 1))
	if !mat.Equal(m.Basis, m2.Basis) {
		t.Error("FitRoles not deterministic for a seed")
	}
	if _, err := FitRoles(V, RolesConfig{Roles: 9}, rand.NewPCG(1, 1)); err == nil {
		t.Error("9 roles of 8 features: no error")
	}
}

// TestFitRolesWorkers checks that the concurrent candidates and the warm start (V has
// enough rows for one) give bit-identical models whatever the number of workers.
func TestFitRolesWorkers(t *testing.T) {
	V := refexLike(rand.New(rand.NewPCG(9, 9)), nmfWarmFactor*nmfWarmRows, 12, 3)
	var first *RoleModel
	for _, workers := range []int{1, 2, 5} {
		cfg := RolesConfig{MaxRoles: 4, NMF: NMFConfig{MaxIter: 60, Workers: workers}}
		m, err := FitRoles(V, cfg, rand.NewPCG(3, 3))
		if err != nil {
			t.Fatal(err)
		}
		if m.Candidates[0].WarmIterations == 0 {
			t.Errorf("workers %d: no warm start on %d rows", workers, nmfWarmFactor*nmfWarmRows)
		}
		if first == nil {
			first = m
			continue
		}
		if !mat.Equal(m.Basis, first.Basis) || !mat.Equal(m.G, first.G) || !slices.Equal(m.Candidates, first.Candidates) {
			t.Errorf("workers %d: model differs from workers 1", workers)
		}
	}
}

// heavyTailedGraph returns a Chung–Lu random graph with n vertices and m distinct edges
// whose expected degrees follow a power law (exponent about 2.2: the largest hub has
// about ten thousand neighbours at n = 50,000, m = 1,000,000), with integer weights
// 1, 2, … (geometric), on randomly permuted ids.
func heavyTailedGraph(tb testing.TB, n, m int, seed uint64) *Graph {
	rng := rand.New(rand.NewPCG(seed, seed))
	cum := make([]float64, n)
	s := 0.0
	for i := range n {
		s += math.Pow(float64(i+10), -1/1.2)
		cum[i] = s
	}
	perm := rng.Perm(n)
	draw := func() int {
		return perm[sort.SearchFloat64s(cum, rng.Float64()*s)]
	}
	seen := make(map[uint64]struct{}, m)
	var b Builder
	for len(seen) < m {
		u, v := draw(), draw()
		if u == v {
			continue
		}
		if u > v {
			u, v = v, u
		}
		key := uint64(u)<<32 | uint64(v)
		if _, ok := seen[key]; ok {
			continue
		}
		seen[key] = struct{}{}
		w := 1 + math.Floor(rng.ExpFloat64())
		if err := b.Add(int64(u), int64(v), w); err != nil {
			tb.Fatal(err)
		}
	}
	g, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

var benchSetup struct {
	once  sync.Once
	g     *Graph
	fs    *FeatureSet
	basis *mat.Dense
}

// BenchmarkRefexProject50k1M times the per-interval work of role dynamics on a graph of
// 50,000 vertices and 1,000,000 edges: ReFeX with a learned feature set, normalisation,
// and memberships against a fixed 8-role basis. Learning the feature set and the basis
// (on the same graph) is setup.
func BenchmarkRefexProject50k1M(b *testing.B) {
	s := &benchSetup
	s.once.Do(func() {
		s.g = heavyTailedGraph(b, 50000, 1000000, 1)
		fs, err := LearnFeatures([]*Graph{s.g}, RefexConfig{})
		if err != nil {
			b.Fatal(err)
		}
		s.fs = fs
		var x mat.Dense
		if err := fs.Compute(s.g, &x); err != nil {
			b.Fatal(err)
		}
		fs.Normalize(&x)
		m, err := FitRoles(&x, RolesConfig{Roles: 8, MaxRows: 5000, NMF: NMFConfig{MaxIter: 300}}, rand.NewPCG(1, 1))
		if err != nil {
			b.Fatal(err)
		}
		s.basis = m.Basis
	})
	b.Logf("graph: %d vertices, %d edges, max degree %d; %d features", s.g.NumVertices(), s.g.NumEdges(), maxDegree(s.g), s.fs.NumFeatures())
	var x, G mat.Dense
	b.SetBytes(int64(len(s.g.Nbrs)) * (4 + 8))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		x.Reset()
		if err := s.fs.Compute(s.g, &x); err != nil {
			b.Fatal(err)
		}
		s.fs.Normalize(&x)
		G.Reset()
		if err := ProjectRoles(&G, &x, s.basis, NMFConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

func maxDegree(g *Graph) int {
	d := 0
	for v := range g.NumVertices() {
		d = max(d, g.Degree(v))
	}
	return d
}

// refexLike returns an n×f matrix shaped like normalised ReFeX output: r planted roles
// with feature profiles spread over three orders of magnitude, a heavy-tailed
// (log-normal) activity per row, multiplicative noise, a fifth of the entries zero, and
// every column log1p-scaled to [0,1] as FeatureSet.Normalize does.
func refexLike(rng *rand.Rand, n, f, r int) *mat.Dense {
	prof := make([][]float64, r)
	for a := range prof {
		prof[a] = make([]float64, f)
		for j := range prof[a] {
			prof[a][j] = math.Exp(7 * rng.Float64())
		}
	}
	V := mat.NewDense(n, f, nil)
	for i := range n {
		main, other := rng.IntN(r), rng.IntN(r)
		mix := 0.0
		if rng.Float64() < 0.3 {
			mix = 0.5 * rng.Float64()
		}
		activity := math.Exp(1.5 * rng.NormFloat64())
		for j := range f {
			if rng.Float64() < 0.2 {
				continue
			}
			x := (1-mix)*prof[main][j] + mix*prof[other][j]
			V.Set(i, j, math.Log1p(activity*x*math.Exp(0.3*rng.NormFloat64())))
		}
	}
	for j := range f {
		col := V.ColView(j)
		if m := mat.Max(col); m > 0 {
			for i := range n {
				V.Set(i, j, V.At(i, j)/m)
			}
		}
	}
	return V
}

// BenchmarkFitRolesMDL times the role fit of a scoring run: MDL over 2..8 roles on
// 10,000 rows × 42 features (DefaultMaxRows rows of the demo's 42 features).
func BenchmarkFitRolesMDL(b *testing.B) {
	const n, f = 10000, 42
	V := refexLike(rand.New(rand.NewPCG(7, 7)), n, f, 4)
	b.SetBytes(n * f * 8)
	b.ReportAllocs()
	var m *RoleModel
	for b.Loop() {
		var err error
		if m, err = FitRoles(V, RolesConfig{}, rand.NewPCG(1, 1)); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range m.Candidates {
		b.Logf("r=%d divergence %.4g, total %.0f bits, %d iterations (+%d warm)", c.Roles, c.Divergence, c.Total, c.Iterations, c.WarmIterations)
	}
	b.Logf("MDL chose %d roles", m.Roles())
}
