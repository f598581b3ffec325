package graphkit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Defaults of NMFConfig.
const (
	DefaultNMFMaxIter     = 1000
	DefaultNMFTol         = 1e-4
	DefaultProjectMaxIter = 100
	DefaultProjectTol     = 1e-6
)

// NMFConfig configures the multiplicative-update iterations of NMF and ProjectRoles.
// Zero fields take the defaults, which differ between the two (see each field).
type NMFConfig struct {
	// MaxIter bounds the iterations (NMF: multiplicative updates, DefaultNMFMaxIter;
	// ProjectRoles: Newton steps per row, DefaultProjectMaxIter).
	MaxIter int
	// Tol is the convergence tolerance. NMF stops when the iterations since its last
	// check (every nmfCheckEvery) lowered the KL divergence by at most Tol times its
	// value each on average (default DefaultNMFTol: on the demo's role features the
	// multiplicative updates still gain about 1e-5 per iteration after 1,000, so a
	// smaller default would never stop them). ProjectRoles
	// stops a row when no membership changes by more than Tol times the row's total
	// membership (default DefaultProjectTol).
	Tol float64
	// Workers bounds the goroutines. 0 selects runtime.GOMAXPROCS(0). Results do not
	// depend on it.
	Workers int
	// Trace makes NMF record the divergence before every iteration and after the last.
	Trace bool
}

func (c NMFConfig) withDefaults(maxIter int, tol float64) (NMFConfig, error) {
	if c.MaxIter == 0 {
		c.MaxIter = maxIter
	}
	if c.Tol == 0 {
		c.Tol = tol
	}
	if c.MaxIter < 0 || !(c.Tol >= 0) {
		return c, fmt.Errorf("%w: NMF max iterations %d, tolerance %v", ErrInvalidConfig, c.MaxIter, c.Tol)
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

// NMFResult is a factorisation V ≈ G·F.
type NMFResult struct {
	G          *mat.Dense // n×r, non-negative
	F          *mat.Dense // r×f, non-negative
	Iterations int        // multiplicative updates performed on V
	// WarmIterations are the updates of the warm start on a sample of V's rows (0
	// when V is too small for one; see NMF).
	WarmIterations int
	Converged      bool    // stopped by the tolerance rather than MaxIter
	Divergence     float64 // D(V‖G·F) at the end
	// Trace holds D(V‖G·F) before each iteration and, last, at the end (only with
	// NMFConfig.Trace). Lee and Seung's updates make it non-increasing.
	Trace []float64
}

// yFloor keeps reconstructions away from zero where V is positive, so that a ratio
// V/(GF) stays finite; it is far below any value that matters.
const yFloor = 1e-300

// klTerm is one entry of the generalised KL divergence v·log(v/y) − v + y (0·log 0 = 0).
func klTerm(v, y float64) float64 {
	if v == 0 {
		return y
	}
	y = max(y, yFloor)
	return v*math.Log(v/y) - v + y
}

// KLDivergence returns the generalised Kullback–Leibler divergence
// D(V‖GF) = Σij Vij·log(Vij/(GF)ij) − Vij + (GF)ij, the objective of NMF.
func KLDivergence(V, G, F mat.Matrix) float64 {
	n, f := V.Dims()
	gr, r := G.Dims()
	fr, fc := F.Dims()
	if gr != n || fr != r || fc != f {
		panic(mat.ErrShape)
	}
	d := 0.0
	for i := range n {
		for j := range f {
			y := 0.0
			for a := range r {
				y += G.At(i, a) * F.At(a, j)
			}
			d += klTerm(V.At(i, j), y)
		}
	}
	return d
}

func checkNonNegative(V *mat.Dense) error {
	n, f := V.Dims()
	raw := V.RawMatrix()
	for i := range n {
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+f] {
			if !(v >= 0) || math.IsInf(v, 1) {
				return fmt.Errorf("%w: V[%d,%d] = %v", ErrNegative, i, j, v)
			}
		}
	}
	return nil
}

// nmfBlock is the row block of the NMF pass. Partial sums are kept per block and added
// in block order, so results do not depend on the number of workers.
const nmfBlock = 256

// nmfCheckEvery is how often (in iterations) NMF evaluates the divergence for its
// convergence test. The divergence costs a logarithm per entry, as much as the rest of
// an iteration, and the relative gain of one multiplicative update is too small and
// too smooth to be worth watching every time.
const nmfCheckEvery = 10

// NMF factorises the non-negative n×f matrix V as G·F with G n×rank and F rank×f
// non-negative, minimising the generalised KL divergence D(V‖GF) by Lee and Seung's
// multiplicative updates (Algorithms for Non-negative Matrix Factorization, NIPS 2000):
//
//	G_ia ← G_ia · Σ_μ F_aμ V_iμ/(GF)_iμ / Σ_μ F_aμ
//	F_aμ ← F_aμ · Σ_i G_ia V_iμ/(GF)_iμ / Σ_i G_ia
//
// G is updated first, then F, each with the other's latest value; both updates never
// increase D. The start is uniform random in [0.1,1.1) times a common scale that matches
// the mean of V, drawn from src, so a result is deterministic for a seed. A V of at
// least nmfWarmFactor·nmfWarmRows rows starts instead from the basis fitted (the same
// way, from the random start) on nmfWarmRows of its rows sampled with src.
//
// D is evaluated every nmfCheckEvery iterations; the fit stops when D fell by at most
// Tol·D per iteration on average since the previous evaluation.
func NMF(V *mat.Dense, rank int, cfg NMFConfig, src rand.Source) (*NMFResult, error) {
	cfg, err := cfg.withDefaults(DefaultNMFMaxIter, DefaultNMFTol)
	if err != nil {
		return nil, err
	}
	if V.IsEmpty() {
		return nil, fmt.Errorf("%w: empty matrix", ErrNoTrainingData)
	}
	n, f := V.Dims()
	if rank < 1 {
		return nil, fmt.Errorf("%w: NMF rank %d", ErrInvalidConfig, rank)
	}
	if err := checkNonNegative(V); err != nil {
		return nil, err
	}
	rng := rand.New(src)
	mean := mat.Sum(V) / float64(n*f)
	scale := math.Sqrt(max(mean, 1e-12) / (float64(rank) * 0.36))
	G := mat.NewDense(n, rank, nil)
	F := mat.NewDense(rank, f, nil)
	for _, m := range []*mat.Dense{G, F} {
		raw := m.RawMatrix()
		for i := range raw.Data {
			raw.Data[i] = scale * (0.1 + rng.Float64())
		}
	}
	res := &NMFResult{G: G, F: F}
	if n >= nmfWarmFactor*nmfWarmRows {
		if err := warmStart(V, G, F, cfg, rng, res); err != nil {
			return nil, err
		}
	}
	multiplicativeUpdates(V, G, F, cfg, res)
	return res, nil
}

// Warm start: a V of at least nmfWarmFactor·nmfWarmRows rows is first factorised on a
// uniform sample of nmfWarmRows rows, whose basis starts the full fit. Role features
// are redundant enough that the sample's basis is close to the full one, and the slow
// early progress of the multiplicative updates then costs a tenth or less.
const (
	nmfWarmRows   = 1000
	nmfWarmFactor = 4
)

// warmStart replaces F by the basis fitted on a sample of V's rows (from F's start)
// and G by the best memberships for it, and records the sample's iterations.
func warmStart(V, G, F *mat.Dense, cfg NMFConfig, rng *rand.Rand, res *NMFResult) error {
	n, f := V.Dims()
	rank, _ := F.Dims()
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	for i := range nmfWarmRows {
		j := i + rng.IntN(n-i)
		rows[i], rows[j] = rows[j], rows[i]
	}
	rows = rows[:nmfWarmRows]
	slices.Sort(rows)
	X := mat.NewDense(len(rows), f, nil)
	GX := mat.NewDense(len(rows), rank, nil)
	for k, i := range rows {
		X.SetRow(k, V.RawRowView(i))
		GX.SetRow(k, G.RawRowView(i))
	}
	warm := &NMFResult{G: GX, F: F}
	sub := cfg
	sub.Trace = false
	multiplicativeUpdates(X, GX, F, sub, warm)
	res.WarmIterations = warm.Iterations
	// The memberships for that basis, solved exactly (the multiplicative G update
	// would need hundreds of passes to get there). An exact zero could never grow
	// again under the updates, so memberships are kept above a tiny share of the row.
	if err := ProjectRoles(G, V, F, NMFConfig{Workers: cfg.Workers}); err != nil {
		return err
	}
	gRaw := G.RawMatrix()
	for i := range n {
		g := gRaw.Data[i*gRaw.Stride : i*gRaw.Stride+rank]
		floor := 1e-6 * floats.Sum(g) / float64(rank)
		for a := range g {
			g[a] = max(g[a], floor)
		}
	}
	return nil
}

// multiplicativeUpdates runs the NMF iterations from G and F (updated in place),
// recording them in res.
func multiplicativeUpdates(V, G, F *mat.Dense, cfg NMFConfig, res *NMFResult) {
	n, f := V.Dims()
	_, rank := G.Dims()
	vRaw, gRaw, fRaw := V.RawMatrix(), G.RawMatrix(), F.RawMatrix()
	blocks := (n + nmfBlock - 1) / nmfBlock
	type partial struct {
		num  []float64 // rank×f: Σ_i G_ia V_iμ/(GF)_iμ over the block
		gsum []float64 // rank: Σ_i G_ia
		kl   float64   // D before the update, over the block
	}
	parts := make([]partial, blocks)
	for b := range parts {
		parts[b] = partial{num: make([]float64, rank*f), gsum: make([]float64, rank)}
	}
	type scratch struct{ y, q []float64 }
	scratches := make([]scratch, max(cfg.Workers, 1))
	for w := range scratches {
		scratches[w] = scratch{y: make([]float64, f), q: make([]float64, f)}
	}
	rowF := make([]float64, rank)
	num := make([]float64, rank*f)
	gsum := make([]float64, rank)
	prev, prevIter := math.Inf(1), 0
	for res.Iterations < cfg.MaxIter {
		fData := fRaw.Data
		for a := range rank {
			rowF[a] = floats.Sum(fData[a*fRaw.Stride : a*fRaw.Stride+f])
		}
		check := res.Iterations%nmfCheckEvery == 0
		withKL := check || cfg.Trace
		// One pass over the rows does G's update (which needs only F and the row) and
		// then accumulates F's update with the new G row.
		parallelChunks(blocks, cfg.Workers, 1, func(lo, hi, w int) {
			y, q := scratches[w].y, scratches[w].q
			for b := lo; b < hi; b++ {
				p := &parts[b]
				clear(p.num)
				clear(p.gsum)
				p.kl = 0
				for i := b * nmfBlock; i < min((b+1)*nmfBlock, n); i++ {
					v := vRaw.Data[i*vRaw.Stride : i*vRaw.Stride+f]
					g := gRaw.Data[i*gRaw.Stride : i*gRaw.Stride+rank]
					reconstruct(y, g, fData, fRaw.Stride)
					if withKL {
						for j, vj := range v {
							p.kl += klTerm(vj, y[j])
						}
					}
					ratio(q, v, y)
					for a := range rank {
						if rowF[a] > 0 {
							g[a] *= floats.Dot(fData[a*fRaw.Stride:a*fRaw.Stride+f], q) / rowF[a]
						}
					}
					reconstruct(y, g, fData, fRaw.Stride)
					ratio(q, v, y)
					for a, ga := range g {
						p.gsum[a] += ga
						if ga != 0 {
							floats.AddScaled(p.num[a*f:(a+1)*f], ga, q)
						}
					}
				}
			}
		})
		clear(num)
		clear(gsum)
		d := 0.0
		for b := range parts {
			p := &parts[b]
			d += p.kl
			floats.Add(num, p.num)
			floats.Add(gsum, p.gsum)
		}
		for a := range rank {
			if gsum[a] <= 0 {
				continue
			}
			row := fData[a*fRaw.Stride : a*fRaw.Stride+f]
			for j := range row {
				row[j] *= num[a*f+j] / gsum[a]
			}
		}
		res.Iterations++
		if cfg.Trace {
			res.Trace = append(res.Trace, d)
		}
		if !check {
			continue
		}
		// d is the divergence before this iteration; stop once the iterations since
		// the previous check gained (relatively) less than Tol each on average.
		if steps := res.Iterations - 1 - prevIter; !math.IsInf(prev, 1) && prev-d <= cfg.Tol*prev*float64(steps) {
			res.Converged = true
			break
		}
		prev, prevIter = d, res.Iterations-1
	}
	res.Divergence = KLDivergence(V, G, F)
	if cfg.Trace {
		res.Trace = append(res.Trace, res.Divergence)
	}
}

// reconstruct sets y = g·F (F row-major r×len(y) with the given stride). AddScaled
// rounds each entry exactly as a plain loop would.
func reconstruct(y, g, fData []float64, stride int) {
	clear(y)
	for a, ga := range g {
		if ga == 0 {
			continue
		}
		floats.AddScaled(y, ga, fData[a*stride:a*stride+len(y)])
	}
}

// ratio sets q = v/y, with 0 where v is 0.
func ratio(q, v, y []float64) {
	for j, vj := range v {
		if vj == 0 {
			q[j] = 0
		} else {
			q[j] = vj / max(y[j], yFloor)
		}
	}
}

// dot is the plain left-to-right dot product, which ProjectRoles keeps so that its
// memberships stay bit for bit as they were (floats.Dot sums in another order).
func dot(a, b []float64) float64 {
	s := 0.0
	b = b[:len(a)]
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// ProjectRoles computes role memberships against a fixed basis: the non-negative G
// minimising D(V‖G·F) with F held fixed, so that role r means the same in every
// interval. dst must be empty or n×r; V is n×f and F r×f. The result does not depend
// on the number of workers.
//
// With F fixed the rows are independent problems, each convex in its row g of G:
// minimise φ(g) = Σ_μ (gF)_μ − V_μ·log (gF)_μ subject to g ≥ 0. NMF's multiplicative
// G update solves it too, but converges far too slowly on the ill-conditioned bases
// RolX produces (on the 50k-vertex benchmark graph with 8 roles, 300 updates left the
// L1-normalised memberships 0.16 from the optimum on average), so each row is solved by
// projected Newton (Bertsekas 1982): variables at (or within ε of) zero whose gradient
// pushes them down are fixed at zero, a Newton step is taken on the others (Cholesky
// of the Hessian Σ_μ F_aμ F_bμ V_μ/(gF)_μ², with a tiny ridge if it is singular), the
// step is projected onto g ≥ 0 and halved until φ decreases enough (Armijo). A row
// stops when no membership moves by more than Tol times the row's total, or after
// MaxIter Newton steps. Rows start from the constant membership whose reconstruction
// has V's row total; a zero row of V gets a zero row of G.
func ProjectRoles(dst, V, F *mat.Dense, cfg NMFConfig) error {
	cfg, err := cfg.withDefaults(DefaultProjectMaxIter, DefaultProjectTol)
	if err != nil {
		return err
	}
	n, f := V.Dims()
	r, fc := F.Dims()
	if fc != f {
		panic(mat.ErrShape)
	}
	if dst.IsEmpty() {
		dst.ReuseAs(n, r)
	} else if dr, dc := dst.Dims(); dr != n || dc != r {
		panic(mat.ErrShape)
	}
	if err := checkNonNegative(V); err != nil {
		return err
	}
	fRaw := F.RawMatrix()
	basis := make([]float64, r*f) // contiguous copy of F
	for a := range r {
		copy(basis[a*f:(a+1)*f], fRaw.Data[a*fRaw.Stride:a*fRaw.Stride+f])
		for _, x := range basis[a*f : (a+1)*f] {
			if !(x >= 0) || math.IsInf(x, 1) {
				return fmt.Errorf("%w: basis F[%d,·] = %v", ErrNegative, a, x)
			}
		}
	}
	vRaw, gRaw := V.RawMatrix(), dst.RawMatrix()
	solvers := make([]*rowSolver, cfg.Workers)
	parallelChunks(n, cfg.Workers, 256, func(lo, hi, w int) {
		s := solvers[w]
		if s == nil {
			s = newRowSolver(basis, r, f)
			solvers[w] = s
		}
		for i := lo; i < hi; i++ {
			v := vRaw.Data[i*vRaw.Stride : i*vRaw.Stride+f]
			g := gRaw.Data[i*gRaw.Stride : i*gRaw.Stride+r]
			s.solve(g, v, cfg.MaxIter, cfg.Tol)
		}
	})
	return nil
}

// rowSolver minimises φ(g) = Σ_μ y_μ − v_μ log y_μ, y = g·F, over g ≥ 0, for one row at
// a time, with its own scratch.
type rowSolver struct {
	basis       []float64 // r×f
	r, f        int
	rowF        []float64 // Σ_μ F_aμ
	total       float64
	y, q, trial []float64 // f
	grad, d, gn []float64 // r
	free        []int
	h           []float64 // r×r
}

func newRowSolver(basis []float64, r, f int) *rowSolver {
	s := &rowSolver{
		basis: basis, r: r, f: f,
		rowF: make([]float64, r),
		y:    make([]float64, f), q: make([]float64, f), trial: make([]float64, f),
		grad: make([]float64, r), d: make([]float64, r), gn: make([]float64, r),
		free: make([]int, 0, r),
		h:    make([]float64, r*r),
	}
	for a := range r {
		for _, x := range basis[a*f : (a+1)*f] {
			s.rowF[a] += x
		}
		s.total += s.rowF[a]
	}
	return s
}

// objective returns φ at g, leaving y = g·F in y.
func (s *rowSolver) objective(g, v, y []float64) float64 {
	reconstruct(y, g, s.basis, s.f)
	phi := 0.0
	for j, vj := range v {
		phi += y[j]
		if vj > 0 {
			phi -= vj * math.Log(max(y[j], yFloor))
		}
	}
	return phi
}

func (s *rowSolver) solve(g, v []float64, maxIter int, tol float64) {
	r, f := s.r, s.f
	sv := 0.0
	for _, x := range v {
		sv += x
	}
	if sv == 0 || s.total == 0 {
		clear(g)
		return
	}
	for a := range g {
		g[a] = sv / s.total
	}
	y, q := s.y, s.q
	phi := s.objective(g, v, y)
	const armijo = 1e-4
	for range maxIter {
		// Gradient and the ratios q = v/y², at the current g (y is current).
		gsum := 0.0
		for a := range r {
			gsum += g[a]
		}
		for j, vj := range v {
			q[j] = vj / max(y[j], yFloor)
		}
		for a := range r {
			s.grad[a] = s.rowF[a] - dot(s.basis[a*f:(a+1)*f], q)
		}
		// ε-active set: Bertsekas's ε = min(ε̄, ‖g − [g − ∇φ]⁺‖), scaled to the row.
		eps := 0.0
		for a := range r {
			eps = max(eps, math.Abs(g[a]-max(g[a]-s.grad[a], 0)))
		}
		eps = min(eps, 1e-3*gsum)
		s.free = s.free[:0]
		for a := range r {
			if g[a] <= eps && s.grad[a] > 0 {
				continue
			}
			s.free = append(s.free, a)
		}
		for j, vj := range v {
			yj := max(y[j], yFloor)
			q[j] = vj / (yj * yj)
		}
		k := len(s.free)
		h := s.h[:k*k]
		for i, a := range s.free {
			fa := s.basis[a*f : (a+1)*f]
			for jj := 0; jj <= i; jj++ {
				fb := s.basis[s.free[jj]*f : (s.free[jj]+1)*f]
				x := 0.0
				for m := range fa {
					x += fa[m] * fb[m] * q[m]
				}
				h[i*k+jj], h[jj*k+i] = x, x
			}
			s.d[i] = -s.grad[a]
		}
		if !choleskySolve(h, s.d[:k], k) {
			// Singular even with a ridge: fall back to the gradient direction.
			for i, a := range s.free {
				s.d[i] = -s.grad[a]
			}
		}
		// Projected backtracking line search.
		accepted := false
		t := 1.0
		for range 50 {
			copy(s.gn, g)
			for i, a := range s.free {
				s.gn[a] = max(g[a]+t*s.d[i], 0)
			}
			decrease := 0.0 // ∇φ·(g − gn), positive along a descent path
			for a := range r {
				if !slicesContains(s.free, a) {
					s.gn[a] = 0
				}
				decrease += s.grad[a] * (g[a] - s.gn[a])
			}
			phiNew := s.objective(s.gn, v, s.trial)
			if phiNew <= phi-armijo*decrease {
				accepted = true
				phi = phiNew
				copy(y, s.trial)
				break
			}
			t /= 2
		}
		if !accepted {
			return // no decrease possible in floating point: at the optimum
		}
		change, total := 0.0, 0.0
		for a := range r {
			change = max(change, math.Abs(s.gn[a]-g[a]))
			total += s.gn[a]
		}
		copy(g, s.gn)
		if change <= tol*total {
			return
		}
	}
}

func slicesContains(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// choleskySolve solves H·x = b in place (b becomes x) for the symmetric k×k matrix h
// (overwritten by its factor). A singular or indefinite h gets a small ridge, tried a
// few times with growing size; it reports false if that fails too.
func choleskySolve(h, b []float64, k int) bool {
	diag := 0.0
	for i := range k {
		diag = max(diag, h[i*k+i])
	}
	if diag <= 0 || math.IsNaN(diag) || math.IsInf(diag, 0) {
		return false
	}
	orig := make([]float64, 0, 64)
	orig = append(orig, h...)
	ridge := 0.0
	for attempt := 0; attempt < 6; attempt++ {
		if attempt > 0 {
			copy(h, orig)
			if ridge == 0 {
				ridge = 1e-12 * diag
			} else {
				ridge *= 100
			}
			for i := range k {
				h[i*k+i] += ridge
			}
		}
		if choleskyInPlace(h, k) {
			// Forward then back substitution with L (lower triangle of h).
			for i := range k {
				x := b[i]
				for j := range i {
					x -= h[i*k+j] * b[j]
				}
				b[i] = x / h[i*k+i]
			}
			for i := k - 1; i >= 0; i-- {
				x := b[i]
				for j := i + 1; j < k; j++ {
					x -= h[j*k+i] * b[j]
				}
				b[i] = x / h[i*k+i]
			}
			return true
		}
	}
	return false
}

// choleskyInPlace overwrites the lower triangle of the symmetric k×k matrix h with its
// Cholesky factor L (H = L·Lᵀ), reporting false if h is not numerically positive
// definite.
func choleskyInPlace(h []float64, k int) bool {
	for j := range k {
		s := h[j*k+j]
		for m := range j {
			s -= h[j*k+m] * h[j*k+m]
		}
		if !(s > 1e-300) {
			return false
		}
		ljj := math.Sqrt(s)
		h[j*k+j] = ljj
		for i := j + 1; i < k; i++ {
			x := h[i*k+j]
			for m := range j {
				x -= h[i*k+m] * h[j*k+m]
			}
			h[i*k+j] = x / ljj
		}
	}
	return true
}
