package synth

import (
	"bufio"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
)

// readReplay reads a LANL redteam file (time,user@domain,source,destination; the
// domain DOM1 or a computer for local accounts) and returns its lines sorted by time,
// keeping the file's order within a second.
func readReplay(path string) ([]timed[rtLine], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReplay, err)
	}
	defer f.Close()
	var lines []timed[rtLine]
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		l, err := parseRedTeamLine(text)
		if err != nil {
			return nil, &LineError{File: path, Line: n, Reason: err.Error()}
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrReplay, path, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: %s: no lines", ErrReplay, path)
	}
	slices.SortStableFunc(lines, func(a, b timed[rtLine]) int { return cmp.Compare(a.t, b.t) })
	if last := lines[len(lines)-1].t; last >= 366*86400 {
		return nil, fmt.Errorf("%w: %s: time %d is beyond a year", ErrReplay, path, last)
	}
	return lines, nil
}

func parseRedTeamLine(s string) (timed[rtLine], error) {
	var l timed[rtLine]
	fields := strings.Split(s, ",")
	if len(fields) != 4 {
		return l, fmt.Errorf("want 4 fields, got %d", len(fields))
	}
	t, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || t < 1 {
		return l, fmt.Errorf("time %q is not a positive integer", fields[0])
	}
	name, domain, ok := strings.Cut(fields[1], "@")
	uid, okU := parseID(name, "U")
	if !ok || !okU {
		return l, fmt.Errorf("user %q is not U<n>@domain", fields[1])
	}
	user := userP(uid)
	if domain != "DOM1" {
		host, ok := parseID(domain, "C")
		if !ok {
			return l, fmt.Errorf("domain %q is neither DOM1 nor a computer", domain)
		}
		user = principal{kind: pkLocalUser, id: uid, host: host}
	}
	src, okS := parseID(fields[2], "C")
	dst, okD := parseID(fields[3], "C")
	if !okS || !okD {
		return l, fmt.Errorf("computers %q, %q are not C<n>", fields[2], fields[3])
	}
	return timed[rtLine]{t, rtLine{user: user, src: src, dst: dst}}, nil
}

// parseID parses prefix<n> with n a positive 32-bit integer.
func parseID(s, prefix string) (int32, bool) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 32)
	return int32(n), err == nil && n > 0
}

// reservedFor lists the users and computers a replay needs in the background, and
// keeps each user's red-team computers out of its habits so its logons stay novel.
func reservedFor(lines []timed[rtLine]) reserved {
	res := reserved{avoid: map[int32][]int32{}}
	seenU, seenC := map[int32]bool{}, map[int32]bool{}
	addC := func(c int32) {
		if c != 0 && !seenC[c] {
			seenC[c] = true
			res.computers = append(res.computers, c)
		}
	}
	for _, l := range lines {
		e := l.e
		if !seenU[e.user.id] {
			seenU[e.user.id] = true
			res.users = append(res.users, e.user.id)
		}
		addC(e.src)
		addC(e.dst)
		addC(e.user.host)
		for _, c := range []int32{e.src, e.dst} {
			if !slices.Contains(res.avoid[e.user.id], c) {
				res.avoid[e.user.id] = append(res.avoid[e.user.id], c)
			}
		}
	}
	return res
}

// replayCampaigns turns replayed lines into the red team: one campaign per user and
// source computer, with the usual follow-on events.
func replayCampaigns(w *world, cfg Config, lines []timed[rtLine]) *redTeam {
	r := rand.New(rand.NewPCG(cfg.Seed, seqRedTeam))
	rt := &redTeam{lines: lines}
	type key struct {
		user principal
		src  int32
	}
	index := map[key]int{}
	for _, l := range lines {
		k := key{l.e.user, l.e.src}
		i, ok := index[k]
		if !ok {
			i = len(rt.campaigns)
			index[k] = i
			rt.campaigns = append(rt.campaigns, Campaign{ID: i + 1, Kind: KindReplay,
				User: string(appendPrincipal(nil, k.user)), Source: string(appendComputer(nil, k.src)), Start: l.t})
		}
		c := &rt.campaigns[i]
		if dst := string(appendComputer(nil, l.e.dst)); !slices.Contains(c.Targets, dst) {
			c.Targets = append(c.Targets, dst)
		}
		c.End = l.t
		c.Events++
	}
	rt.followOn(r, w, int64(cfg.Days)*86400)
	return rt
}
