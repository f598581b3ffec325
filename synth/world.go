package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Computer names of the busiest LANL servers: using them makes the synthetic hubs
// look like the real ones in plots and queries (C586 and C625 lead LANL's auth
// destinations, C706 and C1685 its DNS answers).
var (
	hubIDs = []int32{586, 625, 467, 528, 1065, 457, 706, 1685, 1707, 5030, 2109}
	dcIDs  = []int32{529, 612, 2106}
)

// The most resolved names in an hour of LANL DNS (day 9, 3,450 lookups) and their
// counts: lookups of synthetic hubs and DCs follow them.
var (
	dnsTopIDs    = []int32{706, 1685, 1707, 5030, 457, 529, 586, 2109, 612, 467, 528, 1065, 625}
	dnsTopCounts = []float64{534, 423, 371, 287, 205, 159, 145, 128, 121, 119, 115, 104, 103}
)

// user is a person with an account U<id>@DOM1, a home workstation and habits.
type user struct {
	id   int32
	home int32 // computer id of the home workstation
	dc   int32 // the domain controller of the user's site
	// servers are the user's habitual servers, most used first.
	servers []int32
	// weight is the user's activity level (heavy tailed across users).
	weight float64
	// phase shifts the user's working day by a few hours.
	phase int
	// weekend scales the user's activity on Saturdays and Sundays.
	weekend float64
	admin   bool
	// hard holds the benign first contacts of Config.Hard (zero otherwise).
	hard hardHabits
}

// world is the enterprise: its people, computers and software. It is built once from
// the seed and then only read, by all stream generators concurrently.
type world struct {
	users        []user
	workstations []int32
	servers      []int32 // ordinary servers (not hubs, not DCs)
	hubs, dcs    []int32
	computers    []int32 // every computer: workstations, servers, hubs, DCs
	// infra marks hubs and DCs.
	infra map[int32]bool
	// owner maps a home workstation to its user's index.
	owner map[int32]int
	// siteDC maps a computer to the DC it authenticates against.
	siteDC map[int32]int32

	machine  sampler // over computers: how busy each machine account is
	hubPick  sampler // over hubs
	dnsSrc   sampler // over computers
	dnsDst   sampler // over dnsTargets
	dnsTargs []int32

	procs    []int32 // process ids by popularity rank
	procRank sampler // Zipf over ranks

	// avoid lists, per user id, the computers the background never sends that user
	// to: its red-team targets, which must be new to it. Filled before generation.
	avoid map[int32][]int32
}

// reserved names entities that must exist in the world (a replayed red team's users
// and computers) and, per user, computers that must stay outside its habits.
type reserved struct {
	users     []int32
	computers []int32
	avoid     map[int32][]int32
}

// entityCounts returns the number of users, ordinary servers and processes of cfg:
// users cfg.Users when set, else growing as the square root of the event volume
// (scale), like the processes; a server for every 12 users.
func entityCounts(cfg Config) (users, servers, procs int) {
	s := math.Sqrt(cfg.Scale)
	users = max(40, int(math.Round(1000*s)))
	if cfg.Users > 0 {
		users = cfg.Users
	}
	servers = max(12, users/12)
	procs = max(300, int(math.Round(3000*s)))
	return users, servers, procs
}

func newWorld(cfg Config, res reserved) *world {
	r := rand.New(rand.NewPCG(cfg.Seed, seqWorld))
	nUsers, nServers, nProcs := entityCounts(cfg)
	nUsers = max(nUsers, len(res.users)+10)
	nWork := nUsers + nUsers/8 // some workstations are shared or lab machines
	if cfg.Computers > 0 {
		// The rest of the machines after servers, hubs and DCs: at least one per user
		// (validate checked it before a replay could add users).
		nWork = max(nUsers, cfg.Computers-nServers-len(hubIDs)-len(dcIDs))
	}

	w := &world{
		hubs:   slices.Clone(hubIDs),
		dcs:    slices.Clone(dcIDs),
		infra:  map[int32]bool{},
		owner:  map[int32]int{},
		siteDC: map[int32]int32{},
		avoid:  map[int32][]int32{},
	}
	for id, cs := range res.avoid {
		w.avoid[id] = slices.Clone(cs)
	}
	taken := map[int32]bool{}
	for _, id := range w.hubs {
		w.infra[id], taken[id] = true, true
	}
	for _, id := range w.dcs {
		w.infra[id], taken[id] = true, true
	}

	// Reserved computers become workstations (a replayed red team logs on to
	// workstations and servers alike; as workstations they stay ordinary).
	for _, id := range res.computers {
		if !taken[id] {
			taken[id] = true
			w.workstations = append(w.workstations, id)
		}
	}
	ids := freeIDs(r, max(3000, 2*(nWork+nServers)), max(0, nWork-len(w.workstations))+nServers, taken)
	for _, id := range ids {
		if len(w.workstations) < nWork {
			w.workstations = append(w.workstations, id)
		} else {
			w.servers = append(w.servers, id)
		}
	}
	// Shuffle so that reserved computers are not all homes of reserved users.
	r.Shuffle(len(w.workstations), func(i, j int) {
		w.workstations[i], w.workstations[j] = w.workstations[j], w.workstations[i]
	})
	w.computers = slices.Concat(w.workstations, w.servers, w.hubs, w.dcs)
	for _, c := range w.computers {
		w.siteDC[c] = w.dcs[r.IntN(len(w.dcs))]
	}

	// Machine-account activity: infrastructure is busiest, servers next.
	mw := make([]float64, len(w.computers))
	for i, c := range w.computers {
		switch {
		case i < len(w.workstations):
			mw[i] = lognormal(r, 0, 0.6)
		case i < len(w.workstations)+len(w.servers):
			mw[i] = 6 * lognormal(r, 0, 0.8)
		case slices.Contains(w.hubs, c):
			mw[i] = 40 / math.Sqrt(float64(slices.Index(w.hubs, c)+1))
		default:
			mw[i] = 50
		}
	}
	w.machine = newSampler(mw)
	w.hubPick = newSampler(zipfWeights(len(w.hubs), 0.9))

	// DNS: a few heavy resolvers (Zipf over computers in random order), answers
	// mostly about a few servers.
	sw := zipfWeights(len(w.computers), 1.0)
	r.Shuffle(len(sw), func(i, j int) { sw[i], sw[j] = sw[j], sw[i] })
	w.dnsSrc = newSampler(sw)
	var dw []float64
	for i, c := range dnsTopIDs {
		if w.infra[c] {
			w.dnsTargs = append(w.dnsTargs, c)
			dw = append(dw, dnsTopCounts[i])
		}
	}
	for i, c := range w.servers {
		w.dnsTargs = append(w.dnsTargs, c)
		dw = append(dw, 60/math.Sqrt(float64(i+1)))
	}
	w.dnsDst = newSampler(dw)

	// Habits: popular servers are everyone's; each user adds a few of its own.
	pool := slices.Concat(w.hubs, w.servers)
	pw := make([]float64, len(pool))
	for i := range pw {
		if i < len(w.hubs) {
			pw[i] = 12 / math.Pow(float64(i+1), 0.7)
		} else {
			pw[i] = 4 / math.Pow(float64(i-len(w.hubs)+1), 0.6)
		}
	}
	poolPick := newSampler(pw)

	userIDs := slices.Clone(res.users)
	takenU := map[int32]bool{}
	for _, id := range userIDs {
		takenU[id] = true
	}
	userIDs = append(userIDs, freeIDs(r, max(1000, nUsers*7/5), nUsers-len(userIDs), takenU)...)
	slices.Sort(userIDs)
	homes := homesAvoiding(r, userIDs, w.workstations[:len(userIDs)], res.avoid)
	w.users = make([]user, len(userIDs))
	for i, id := range userIDs {
		u := user{
			id:      id,
			home:    homes[i],
			weight:  lognormal(r, 0, 0.9),
			phase:   r.IntN(5) - 2,
			weekend: 0.04,
			admin:   r.Float64() < 0.03,
		}
		u.dc = w.siteDC[u.home]
		if r.Float64() < 0.25 {
			u.weekend = 0.3
		}
		k := 2 + r.IntN(4)
		if u.admin {
			k = 10 + r.IntN(16)
		}
		avoid := res.avoid[id]
		for tries := 0; len(u.servers) < k && tries < 20*k; tries++ {
			s := pool[poolPick.pick(r)]
			if !slices.Contains(u.servers, s) && !slices.Contains(avoid, s) {
				u.servers = append(u.servers, s)
			}
		}
		if len(u.servers) == 0 { // every candidate avoided: fall back to a DC
			u.servers = append(u.servers, u.dc)
		}
		w.users[i] = u
		w.owner[u.home] = i
	}

	procIDs := freeIDs(r, nProcs*6/5, nProcs, map[int32]bool{})
	w.procs = procIDs
	w.procRank = newSampler(zipfWeights(nProcs, 1.1))
	if cfg.Hard {
		w.addHardHabits(cfg, res)
	}
	return w
}

// homesAvoiding assigns homes[i] to users[i], swapping homes so that no user's home
// is among the computers it must avoid (a replayed red team's source or target).
func homesAvoiding(r *rand.Rand, users, homes []int32, avoid map[int32][]int32) []int32 {
	homes = slices.Clone(homes)
	for i, id := range users {
		for tries := 0; tries < 100 && slices.Contains(avoid[id], homes[i]); tries++ {
			j := r.IntN(len(users))
			if !slices.Contains(avoid[id], homes[j]) && !slices.Contains(avoid[users[j]], homes[i]) {
				homes[i], homes[j] = homes[j], homes[i]
			}
		}
	}
	return homes
}

// habitual reports whether user u logs on to computer c in the background.
func (w *world) habitual(u *user, c int32) bool {
	return c == u.home || c == u.dc || slices.Contains(u.servers, c)
}

// explore returns a computer outside u's habits for the occasional visit to a new
// server or a colleague's workstation, so that novelty alone does not give the red
// team away. It returns u's first habitual server if it finds none it may visit.
func (w *world) explore(r *rand.Rand, u *user) int32 {
	for range 8 {
		var c int32
		if r.Float64() < 0.6 {
			c = w.servers[r.IntN(len(w.servers))]
		} else {
			c = w.workstations[r.IntN(len(w.workstations))]
		}
		if !w.habitual(u, c) && !slices.Contains(w.avoid[u.id], c) {
			return c
		}
	}
	return u.servers[0]
}

// process returns the process a computer runs for a popularity draw: the head of
// the vocabulary is shared by all hosts, the tail is rotated per host so each host
// has its own rare programs.
func (w *world) process(r *rand.Rand, comp int32) int32 {
	rank := w.procRank.pick(r)
	const head = 40
	if n := len(w.procs); rank >= head && n > head {
		rank = head + (rank-head+int(uint32(comp)*2654435761%uint32(n-head)))%(n-head)
	}
	return w.procs[rank]
}

// freeIDs returns n distinct ids from 1..limit (limit grown if needed) outside taken,
// in random order, and marks them taken.
func freeIDs(r *rand.Rand, limit, n int, taken map[int32]bool) []int32 {
	limit = max(limit, n+len(taken)+1)
	perm := r.Perm(limit)
	out := make([]int32, 0, n)
	for _, p := range perm {
		if len(out) == n {
			break
		}
		id := int32(p + 1)
		if !taken[id] {
			taken[id] = true
			out = append(out, id)
		}
	}
	return out
}

// sampler draws an index with probability proportional to its weight.
type sampler struct{ cum []float64 }

func newSampler(weights []float64) sampler {
	cum := make([]float64, len(weights))
	var s float64
	for i, w := range weights {
		s += w
		cum[i] = s
	}
	return sampler{cum: cum}
}

// reset refills s with weights, reusing its buffer.
func (s *sampler) reset(weights func(i int) float64, n int) {
	s.cum = s.cum[:0]
	var t float64
	for i := range n {
		t += weights(i)
		s.cum = append(s.cum, t)
	}
}

func (s sampler) pick(r *rand.Rand) int {
	x := r.Float64() * s.cum[len(s.cum)-1]
	i := sort.SearchFloat64s(s.cum, x)
	return min(i, len(s.cum)-1)
}

func zipfWeights(n int, exponent float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), exponent)
	}
	return w
}

func lognormal(r *rand.Rand, mu, sigma float64) float64 {
	return math.Exp(mu + sigma*r.NormFloat64())
}

// heavyInt returns a heavy-tailed non-negative integer (a rounded log-normal).
func heavyInt(r *rand.Rand, mu, sigma float64, limit int64) int64 {
	return min(int64(lognormal(r, mu, sigma)), limit)
}
