package synth

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Days: 1, Scale: 0.05, Seed: 42}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if _, err := Generate(context.Background(), dir, cfg); err != nil {
			t.Fatal(err)
		}
	}
	other := cfg
	other.Seed = 43
	if _, err := Generate(context.Background(), c, other); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(slices.Clone(StreamNames), "truth") {
		file := name + ".txt.gz"
		if name == "truth" {
			file = "truth.json"
		}
		fa, fb, fc := readFile(t, a, file), readFile(t, b, file), readFile(t, c, file)
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s: two runs with seed 42 differ", file)
		}
		if bytes.Equal(fa, fc) {
			t.Errorf("%s: seeds 42 and 43 give the same bytes", file)
		}
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	reComputer = regexp.MustCompile(`^C[1-9][0-9]*$`)
	rePort     = regexp.MustCompile(`^(N[1-9][0-9]*|[0-9]+)$`)
	reProcess  = regexp.MustCompile(`^P[1-9][0-9]*$`)
	rePrincip  = regexp.MustCompile(`^(U[1-9][0-9]*@(DOM1|C[1-9][0-9]*)|C[1-9][0-9]*\$@DOM1|(SYSTEM|LOCAL SERVICE|NETWORK SERVICE|ANONYMOUS LOGON)@C[1-9][0-9]*)$`)
)

// TestFormat checks every line of every stream against DESIGN.md's raw formats:
// field count, integer time in [1, days*86400) sorted within the file, names and
// vocabularies, integer counts.
func TestFormat(t *testing.T) {
	dir, sum := smallDataset(t)
	fields := map[string]int{"auth": 9, "proc": 5, "flows": 9, "dns": 3, "redteam": 4}
	enum := func(vals ...string) func(string) bool {
		return func(s string) bool { return slices.Contains(vals, s) }
	}
	isInt := func(s string) bool { n, err := strconv.ParseInt(s, 10, 64); return err == nil && n >= 0 }
	checks := map[string][]func(string) bool{
		"auth": {rePrincip.MatchString, rePrincip.MatchString, reComputer.MatchString, reComputer.MatchString,
			enum(authTypes[:]...), enum(logonTypes[:]...), enum(directions[:]...), enum("Success", "Fail")},
		"proc":    {rePrincip.MatchString, reComputer.MatchString, reProcess.MatchString, enum("Start", "End")},
		"flows":   {isInt, reComputer.MatchString, rePort.MatchString, reComputer.MatchString, rePort.MatchString, enum("1", "6", "17"), isInt, isInt},
		"dns":     {reComputer.MatchString, reComputer.MatchString},
		"redteam": {rePrincip.MatchString, reComputer.MatchString, reComputer.MatchString},
	}
	end := int64(small.Days) * 86400
	for _, name := range StreamNames {
		lines := readStream(t, dir, name)
		if int64(len(lines)) != sum.Lines[name] {
			t.Errorf("%s: %d lines, summary says %d", name, len(lines), sum.Lines[name])
		}
		if len(lines) == 0 {
			t.Errorf("%s: empty", name)
		}
		prev := int64(1)
		for i, f := range lines {
			if len(f) != fields[name] {
				t.Fatalf("%s:%d: %d fields, want %d: %q", name, i+1, len(f), fields[name], f)
			}
			tm, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || tm < prev || tm >= end {
				t.Fatalf("%s:%d: time %q not an integer in [%d, %d)", name, i+1, f[0], prev, end)
			}
			prev = tm
			for k, ok := range checks[name] {
				if !ok(f[k+1]) {
					t.Fatalf("%s:%d: field %d = %q is malformed", name, i+1, k+2, f[k+1])
				}
			}
		}
	}
}

// TestProportions checks the streams' shares against LANL's (auth 64 %, proc 26 %,
// flows 8 %, dns 2 %) and the default size.
func TestProportions(t *testing.T) {
	_, sum := smallDataset(t)
	want := map[string]float64{"auth": 0.64, "proc": 0.26, "flows": 0.08, "dns": 0.02}
	total := float64(sum.Events())
	for name, share := range want {
		got := float64(sum.Lines[name]) / total
		if math.Abs(got-share) > 0.15*share+0.005 {
			t.Errorf("%s: share %.3f, want %.3f", name, got, share)
		}
	}
	// One weekday at scale 0.1 is a little above the weekly mean of 60k a day.
	if total < 50_000 || total > 90_000 {
		t.Errorf("1 day at scale 0.1: %.0f events, want about 60-80k", total)
	}
}

// TestScaling checks that events grow linearly with scale × days and entities
// sub-linearly.
func TestScaling(t *testing.T) {
	base := Config{Days: 1, Scale: 0.05, Seed: 3}
	double := base
	double.Scale = 0.1
	twoDays := base
	twoDays.Days = 2 // Thursday and Friday: two working days
	var sums []Summary
	for _, cfg := range []Config{base, double, twoDays} {
		s, err := Generate(context.Background(), t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, s)
	}
	for i, name := range []string{"scale", "days"} {
		ratio := float64(sums[i+1].Events()) / float64(sums[0].Events())
		if ratio < 1.85 || ratio > 2.15 {
			t.Errorf("doubling %s multiplies events by %.2f, want 2", name, ratio)
		}
	}
	if ratio := float64(sums[1].Users) / float64(sums[0].Users); ratio < 1.2 || ratio > 1.6 {
		t.Errorf("doubling scale multiplies users by %.2f, want about √2", ratio)
	}
}

type rtKey struct{ t, user, src, dst string }

// TestRedTeamInAuth checks that every redteam line is a successful NTLM network
// logon in auth, that its user never logs on to its target otherwise (the targets
// are new to it), and that the follow-on SMB flows and tool processes exist.
func TestRedTeamInAuth(t *testing.T) {
	dir, _ := smallDataset(t)
	red := readStream(t, dir, "redteam")
	redSet := map[rtKey]bool{}
	pairs := map[[2]string]bool{}
	for _, f := range red {
		redSet[rtKey{f[0], f[1], f[2], f[3]}] = true
		pairs[[2]string{f[1], f[3]}] = true
	}
	found := map[rtKey]bool{}
	for _, f := range readStream(t, dir, "auth") {
		k := rtKey{f[0], f[1], f[3], f[4]}
		isRed := f[1] == f[2] && f[5] == "NTLM" && f[6] == "Network" && f[7] == "LogOn" && f[8] == "Success" && redSet[k]
		if isRed {
			found[k] = true
			continue
		}
		if f[7] != "LogOff" && pairs[[2]string{f[1], f[4]}] {
			t.Errorf("background logon of a red-team user to its target: %q", f)
		}
	}
	for k := range redSet {
		if !found[k] {
			t.Errorf("redteam line %v has no NTLM Network LogOn Success in auth", k)
		}
	}

	smb := 0
	flowSet := map[[3]string]bool{}
	for _, f := range readStream(t, dir, "flows") {
		if f[5] == "445" {
			flowSet[[3]string{f[0], f[2], f[4]}] = true
		}
	}
	for k := range redSet {
		if flowSet[[3]string{k.t, k.src, k.dst}] {
			smb++
		}
	}
	if smb < len(redSet)*3/4 {
		t.Errorf("%d of %d red-team logons have an SMB flow, want most", smb, len(redSet))
	}
	procs := 0
	for _, f := range readStream(t, dir, "proc") {
		if f[4] == "Start" && pairs[[2]string{f[1], f[2]}] {
			procs++
		}
	}
	if procs == 0 {
		t.Error("no process started by a red-team user on a target")
	}
}

// TestCampaigns checks truth.json against redteam.txt.gz: both kinds present, burst
// sizes in the tens to hundreds, tiny ones under ten, event counts adding up.
func TestCampaigns(t *testing.T) {
	dir, sum := smallDataset(t)
	truth, err := ReadTruth(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(truth.Campaigns) != sum.Campaigns || truth.Seed != small.Seed || truth.Days != small.Days {
		t.Fatalf("truth.json disagrees with the run: %+v", truth)
	}
	red := readStream(t, dir, "redteam")
	kinds := map[string]int{}
	total := 0
	for _, c := range truth.Campaigns {
		kinds[c.Kind]++
		total += c.Events
		switch c.Kind {
		case KindBurst:
			if c.Events < 20 || c.Events > 400 {
				t.Errorf("burst campaign %d has %d events", c.ID, c.Events)
			}
		case KindTiny:
			if c.Events < 1 || c.Events >= 10 {
				t.Errorf("tiny campaign %d has %d events", c.ID, c.Events)
			}
		default:
			t.Errorf("campaign %d: kind %q", c.ID, c.Kind)
		}
		n := 0
		for _, f := range red {
			tm, _ := strconv.ParseInt(f[0], 10, 64)
			if f[1] == c.User && f[2] == c.Source && tm >= c.Start && tm <= c.End {
				n++
				if !slices.Contains(c.Targets, f[3]) {
					t.Errorf("campaign %d: target %s not in truth", c.ID, f[3])
				}
			}
		}
		if n != c.Events {
			t.Errorf("campaign %d: %d redteam lines, truth says %d", c.ID, n, c.Events)
		}
	}
	if kinds[KindBurst] == 0 || kinds[KindTiny] == 0 {
		t.Errorf("campaign kinds %v, want both burst and tiny", kinds)
	}
	if total != len(red) {
		t.Errorf("campaigns hold %d events, redteam.txt.gz %d lines", total, len(red))
	}
}

// TestDiurnal checks the working day: auth events in the night hours 1-4 are well
// under those of 10-15.
func TestDiurnal(t *testing.T) {
	dir, _ := smallDataset(t)
	var perHour [24]int
	for _, f := range readStream(t, dir, "auth") {
		tm, _ := strconv.Atoi(f[0])
		perHour[tm/3600%24]++
	}
	night := float64(perHour[1]+perHour[2]+perHour[3]+perHour[4]) / 4
	day := float64(perHour[10]+perHour[11]+perHour[13]+perHour[14]+perHour[15]) / 5
	if night > 0.65*day {
		t.Errorf("night hours average %.0f events, day hours %.0f: no working day", night, day)
	}
}

// TestVocabulary checks that the background holds what real LANL auth holds:
// computer accounts, anonymous logons, SYSTEM and LOCAL SERVICE, LANL's '?', every
// auth type, logon type and direction, a small failure rate, and busy hubs.
func TestVocabulary(t *testing.T) {
	dir, _ := smallDataset(t)
	auth := readStream(t, dir, "auth")
	seen := map[string]bool{}
	dst := map[string]int{}
	fails := 0
	for _, f := range auth {
		for _, p := range f[1:3] {
			switch {
			case strings.HasSuffix(p, "$@DOM1"):
				seen["machine"] = true
			case strings.HasPrefix(p, "ANONYMOUS LOGON@"):
				seen["anonymous"] = true
			case strings.HasPrefix(p, "SYSTEM@"):
				seen["system"] = true
			case strings.HasPrefix(p, "LOCAL SERVICE@"):
				seen["local service"] = true
			case strings.HasSuffix(p, "@DOM1"):
				seen["user"] = true
			}
		}
		for _, v := range f[5:9] {
			seen[v] = true
		}
		if f[8] == "Fail" {
			fails++
		}
		dst[f[4]]++
	}
	want := []string{"machine", "anonymous", "system", "local service", "user", "?", "Fail"}
	want = append(want, authTypes[:]...)
	want = append(want, logonTypes[:]...)
	want = append(want, directions[:]...)
	for _, w := range want {
		if !seen[w] {
			t.Errorf("auth has no %q", w)
		}
	}
	if rate := float64(fails) / float64(len(auth)); rate < 0.002 || rate > 0.03 {
		t.Errorf("failure rate %.4f, want a small one", rate)
	}
	counts := make([]int, 0, len(dst))
	for _, n := range dst {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	top := 0
	for _, n := range counts[:5] {
		top += n
	}
	if share := float64(top) / float64(len(auth)); share < 0.3 {
		t.Errorf("the 5 busiest destinations take %.2f of auth, want a large share", share)
	}

	procs := map[string]int{}
	for _, f := range readStream(t, dir, "proc") {
		procs[f[3]]++
	}
	counts = counts[:0]
	for _, n := range procs {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	if len(counts) < 100 || counts[0] < 20*counts[len(counts)/2] {
		t.Errorf("process vocabulary not heavy tailed: %d names, top %d, median %d",
			len(counts), counts[0], counts[len(counts)/2])
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Days: 0, Scale: 1},
		{Days: 1, Scale: 0},
		{Days: 1, Scale: math.NaN()},
		{Days: 1, Scale: -1},
		{Days: 1000, Scale: 1},
	} {
		if _, err := Generate(context.Background(), t.TempDir(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: error %v, want ErrConfig", cfg, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "redteam.txt")
	if err := os.WriteFile(bad, []byte("12,U1@DOM1,C1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), t.TempDir(), Config{Days: 1, Scale: 0.01, Replay: bad})
	var le *LineError
	if !errors.Is(err, ErrReplay) || !errors.As(err, &le) || le.Line != 1 || le.File != bad {
		t.Errorf("bad replay file: error %v, want a LineError at line 1", err)
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, t.TempDir(), Config{Days: 2, Scale: 0.05, Seed: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestFlowsAndDNS checks the network streams' shape: every protocol, the
// well-known server ports, port-to-port flows with N-ports on both sides,
// heavy-tailed byte counts, and DNS answers concentrated on a few servers.
func TestFlowsAndDNS(t *testing.T) {
	dir, _ := smallDataset(t)
	flows := readStream(t, dir, "flows")
	seen := map[string]bool{}
	var bytesPerFlow []int64
	for _, f := range flows {
		seen["proto "+f[6]] = true
		for _, p := range []string{f[3], f[5]} {
			if !strings.HasPrefix(p, "N") {
				seen["port "+p] = true
			}
		}
		if strings.HasPrefix(f[3], "N") && strings.HasPrefix(f[5], "N") {
			seen["N to N"] = true
		}
		n, _ := strconv.ParseInt(f[8], 10, 64)
		bytesPerFlow = append(bytesPerFlow, n)
	}
	for _, w := range []string{"proto 1", "proto 6", "proto 17", "N to N",
		"port 80", "port 443", "port 445", "port 389", "port 53", "port 88", "port 135", "port 139"} {
		if !seen[w] {
			t.Errorf("flows have no %s", w)
		}
	}
	slices.Sort(bytesPerFlow)
	median, p999 := bytesPerFlow[len(bytesPerFlow)/2], bytesPerFlow[len(bytesPerFlow)*999/1000]
	if p999 < 50*median {
		t.Errorf("flow bytes not heavy tailed: median %d, 99.9th percentile %d", median, p999)
	}

	dns := readStream(t, dir, "dns")
	answers := map[string]int{}
	for _, f := range dns {
		answers[f[2]]++
	}
	top := 0
	for _, c := range []string{"C706", "C1685", "C1707", "C5030", "C457"} {
		top += answers[c]
	}
	if share := float64(top) / float64(len(dns)); share < 0.3 {
		t.Errorf("LANL's five most resolved names take %.2f of dns, want a large share", share)
	}
}
