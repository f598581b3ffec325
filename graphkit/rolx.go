package graphkit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// Defaults of RolesConfig.
const (
	DefaultMinRoles = 2
	DefaultMaxRoles = 8
	DefaultMDLBits  = 8
	DefaultMaxRows  = 10000
)

// RolesConfig configures FitRoles. Zero fields take the defaults.
type RolesConfig struct {
	// Roles fixes the number of roles; 0 chooses it by minimum description length
	// over MinRoles..MaxRoles.
	Roles int
	// MinRoles and MaxRoles bound the MDL search (defaults 2 and 8; MaxRoles is also
	// capped at the number of features and of rows).
	MinRoles, MaxRoles int
	// Bits is the precision b of the MDL code (see FitRoles). 0 selects DefaultMDLBits.
	Bits int
	// MaxRows caps the rows the basis is fitted on: a larger V is sampled uniformly
	// without replacement (from the rand source). 0 selects DefaultMaxRows; -1 uses
	// every row.
	MaxRows int
	// NMF configures the factorisations.
	NMF NMFConfig
}

// DescriptionLength is the MDL cost of one candidate number of roles, in bits.
type DescriptionLength struct {
	Roles      int
	ModelBits  float64 // b·r·(n+f)
	ErrorBits  float64 // D(V‖GF) / (q·ln 2), q = max(V)/2^b
	Total      float64 // ModelBits + ErrorBits
	Divergence float64 // D(V‖GF) in nats
	// Iterations and WarmIterations are the fit's NMFResult fields of the same names.
	Iterations, WarmIterations int
}

// RoleModel is a fitted RolX role basis.
type RoleModel struct {
	// Basis is F, roles×features: row a is role a's feature profile, scaled to unit
	// L1 norm. Roles are ordered by decreasing total membership over the fitted rows.
	Basis *mat.Dense
	// G holds the memberships of the fitted rows (in Rows order), scaled to match Basis.
	G *mat.Dense
	// Rows are the indices of the rows of V that were fitted (all of them, ascending,
	// unless V had more than MaxRows rows).
	Rows []int
	// Candidates lists the description length of every number of roles tried (one
	// entry when the number was fixed).
	Candidates []DescriptionLength
	// Divergence is D(V‖G·Basis) over the fitted rows.
	Divergence float64
}

// Roles returns the number of roles.
func (m *RoleModel) Roles() int { r, _ := m.Basis.Dims(); return r }

// FitRoles fits a RolX role basis to a non-negative feature matrix V (rows: vertices of
// the training window, columns: features, normally FeatureSet.Normalize'd) by KL NMF.
//
// With cfg.Roles = 0 the number of roles r is the one of minimum description length
// over MinRoles..MaxRoles (RolX, Henderson et al. KDD 2012, §2.3: L = M + E). The code
// used here, for n fitted rows and f features:
//
//	M = b·r·(n+f)                 every entry of G and F quantised to b bits
//	E = D(V‖GF) / (q·ln 2)        q = max(V) / 2^b
//
// E is the Poisson code length, in bits and relative to a perfect model, of V counted
// in units of q, the b-bit quantum of V's range: measuring the data at the same
// precision as the model makes the choice independent of V's overall scale (RolX adds
// the raw KL divergence, which is not). D is taken at the unquantised factors. The
// candidates are fitted concurrently, each from its own source drawn from src in
// order of r, so the result is deterministic for a seed whatever cfg.NMF.Workers.
func FitRoles(V *mat.Dense, cfg RolesConfig, src rand.Source) (*RoleModel, error) {
	if V.IsEmpty() {
		return nil, fmt.Errorf("%w: empty feature matrix", ErrNoTrainingData)
	}
	if cfg.MinRoles == 0 {
		cfg.MinRoles = DefaultMinRoles
	}
	if cfg.MaxRoles == 0 {
		cfg.MaxRoles = DefaultMaxRoles
	}
	if cfg.Bits == 0 {
		cfg.Bits = DefaultMDLBits
	}
	if cfg.MaxRows == 0 {
		cfg.MaxRows = DefaultMaxRows
	}
	n, f := V.Dims()
	if cfg.Roles < 0 || cfg.MinRoles < 1 || cfg.MaxRoles < cfg.MinRoles || cfg.Bits < 1 || cfg.Bits > 52 || cfg.MaxRows < -1 {
		return nil, fmt.Errorf("%w: roles %d, range %d..%d, bits %d, max rows %d",
			ErrInvalidConfig, cfg.Roles, cfg.MinRoles, cfg.MaxRoles, cfg.Bits, cfg.MaxRows)
	}
	if err := checkNonNegative(V); err != nil {
		return nil, err
	}
	rng := rand.New(src)

	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	X := V
	if cfg.MaxRows > 0 && n > cfg.MaxRows {
		// Partial Fisher–Yates: the first MaxRows entries are a uniform sample.
		for i := range cfg.MaxRows {
			j := i + rng.IntN(n-i)
			rows[i], rows[j] = rows[j], rows[i]
		}
		rows = rows[:cfg.MaxRows]
		slices.Sort(rows)
		X = mat.NewDense(len(rows), f, nil)
		for k, i := range rows {
			X.SetRow(k, V.RawRowView(i))
		}
		n = len(rows)
	}

	lo, hi := cfg.MinRoles, min(cfg.MaxRoles, f, n)
	if cfg.Roles > 0 {
		lo, hi = cfg.Roles, cfg.Roles
	}
	if lo > hi || hi > min(f, n) {
		return nil, fmt.Errorf("%w: %d roles requested for %d rows × %d features", ErrInvalidConfig, lo, n, f)
	}
	q := mat.Max(X) / math.Exp2(float64(cfg.Bits))
	// Each candidate gets its own stream derived from the caller's, so adding a
	// candidate does not change the others, and the candidates can be fitted at once:
	// one goroutine each (largest first, as they cost about in proportion to r), the
	// workers shared among them. NMF's results do not depend on its workers, so neither
	// does the model.
	cands := hi - lo + 1
	seeds := make([][2]uint64, cands)
	for k := range seeds {
		seeds[k] = [2]uint64{rng.Uint64(), rng.Uint64()}
	}
	nmfCfg := cfg.NMF
	if nmfCfg.Workers <= 0 {
		nmfCfg.Workers = runtime.GOMAXPROCS(0)
	}
	par := min(nmfCfg.Workers, cands)
	nmfCfg.Workers = max(1, nmfCfg.Workers/cands)
	results := make([]*NMFResult, cands)
	errs := make([]error, cands)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := cands - 1 - int(next.Add(1)-1)
				if k < 0 {
					return
				}
				results[k], errs[k] = NMF(X, lo+k, nmfCfg, rand.NewPCG(seeds[k][0], seeds[k][1]))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var best *NMFResult
	model := &RoleModel{Rows: rows}
	bestTotal := math.Inf(1)
	for k, res := range results {
		r := lo + k
		dl := DescriptionLength{
			Roles:          r,
			ModelBits:      float64(cfg.Bits) * float64(r) * float64(n+f),
			Divergence:     res.Divergence,
			Iterations:     res.Iterations,
			WarmIterations: res.WarmIterations,
		}
		if q > 0 {
			dl.ErrorBits = res.Divergence / (q * math.Ln2)
		}
		dl.Total = dl.ModelBits + dl.ErrorBits
		model.Candidates = append(model.Candidates, dl)
		if dl.Total < bestTotal {
			best, bestTotal = res, dl.Total
		}
	}
	model.Basis, model.G = canonicalRoles(best.G, best.F)
	model.Divergence = best.Divergence
	return model, nil
}

// canonicalRoles rescales a factorisation so that every basis row has unit L1 norm (the
// memberships absorbing the scale, G·F unchanged) and orders the roles by decreasing
// total membership, so that a fitted basis reads the same whatever the start.
func canonicalRoles(G, F *mat.Dense) (basis, memberships *mat.Dense) {
	n, r := G.Dims()
	_, f := F.Dims()
	norm := make([]float64, r)
	for a := range r {
		norm[a] = mat.Sum(F.RowView(a))
	}
	total := make([]float64, r)
	for a := range r {
		total[a] = mat.Sum(G.ColView(a)) * norm[a]
	}
	order := make([]int, r)
	for a := range order {
		order[a] = a
	}
	sort.SliceStable(order, func(i, j int) bool { return total[order[i]] > total[order[j]] })
	basis = mat.NewDense(r, f, nil)
	memberships = mat.NewDense(n, r, nil)
	for k, a := range order {
		s := norm[a]
		if s == 0 {
			s = 1
		}
		for j := range f {
			basis.Set(k, j, F.At(a, j)/s)
		}
		for i := range n {
			memberships.Set(i, k, G.At(i, a)*s)
		}
	}
	return basis, memberships
}
