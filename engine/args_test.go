package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

func TestScoreArgs(t *testing.T) {
	a := ScoreArgs{
		Edges: EdgeArgs{Arch: " entity ", Interval: 30 * time.Minute, From: "3600", To: "2015-01-03",
			Streams: "auth, dns,,"},
		Method: " Roles", Components: "", Novelty: " ", Roles: " 4 ", TrainFrom: "2015-01-01 01:00:00",
		TrainTo: "90000", Expect: "PREVIOUS", HalfLife: 3, Seed: 9, Generations: -1,
	}
	got, err := a.Spec()
	if err != nil {
		t.Fatal(err)
	}
	want := ScoreSpec{
		Method: MethodRoles,
		Edges: EdgeSpec{Arch: "entity", Interval: 30 * time.Minute, From: lanl.Time(3600), To: lanl.Time(2 * 86400),
			Streams: []string{"auth", "dns"}},
		Roles: 4, TrainFrom: lanl.Time(3600), TrainTo: lanl.Time(90000), Expect: graphkit.ExpectPrevious,
		HalfLife: 3, Seed: 9, Generations: -1,
	}
	if !got.Edges.From.Equal(want.Edges.From) || !got.Edges.To.Equal(want.Edges.To) ||
		!got.TrainFrom.Equal(want.TrainFrom) || !got.TrainTo.Equal(want.TrainTo) {
		t.Errorf("times: got %v %v %v %v", got.Edges.From, got.Edges.To, got.TrainFrom, got.TrainTo)
	}
	got.Edges.From, got.Edges.To, got.TrainFrom, got.TrainTo = want.Edges.From, want.Edges.To, want.TrainFrom, want.TrainTo
	if got.Method != want.Method || got.Edges.Arch != want.Edges.Arch || got.Edges.Interval != want.Edges.Interval ||
		!slices.Equal(got.Edges.Streams, want.Edges.Streams) || got.Roles != want.Roles || got.Expect != want.Expect ||
		got.HalfLife != want.HalfLife || got.Seed != want.Seed || got.Generations != want.Generations ||
		len(got.Components) != 0 || got.Novelty != "" {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	// Defaults: everything empty.
	def, err := ScoreArgs{}.Spec()
	if err != nil || def.Method != MethodFused || def.Roles != 0 || def.Expect != graphkit.ExpectEWMA ||
		!def.Edges.From.IsZero() || def.Edges.Streams != nil || def.Components != nil {
		t.Errorf("defaults: %+v, %v", def, err)
	}
	comps, _ := ScoreArgs{Components: "Novelty, VOLUME"}.Spec()
	if !slices.Equal(comps.Components, []string{"novelty", "volume"}) {
		t.Errorf("components %v", comps.Components)
	}
}

func TestScoreArgsErrors(t *testing.T) {
	cases := []struct {
		args    ScoreArgs
		setting string
		reason  string
		kind    error
	}{
		{ScoreArgs{Method: "mean"}, "method", `"mean" is neither fused nor roles`, ErrScoreSpec},
		{ScoreArgs{Roles: "0"}, "roles", `"0" is neither a positive number nor auto`, ErrScoreSpec},
		{ScoreArgs{Roles: "many"}, "roles", "neither a positive number nor auto", ErrScoreSpec},
		{ScoreArgs{Expect: "mean"}, "expect", `"mean" is neither ewma nor previous`, ErrScoreSpec},
		{ScoreArgs{TrainFrom: "7200", TrainTo: "3600"}, "train_to", "empty training window [2015-01-01 02:00:00, 2015-01-01 01:00:00)", ErrScoreSpec},
		{ScoreArgs{TrainFrom: "soon"}, "train_from", "neither LANL seconds nor a timestamp", ErrScoreSpec},
		{ScoreArgs{HalfLife: -2}, "half_life", "positive number of intervals", ErrScoreSpec},
		{ScoreArgs{Generations: 65}, "generations", "got 65", ErrScoreSpec},
		{ScoreArgs{Generations: -2}, "generations", "got -2", ErrScoreSpec},
		{ScoreArgs{Edges: EdgeArgs{From: "2015-01-02", To: "2015-01-02"}}, "to", "empty time frame", ErrEdgeSpec},
		{ScoreArgs{Edges: EdgeArgs{To: "tomorrow"}}, "to", "neither LANL seconds", ErrEdgeSpec},
		{ScoreArgs{Edges: EdgeArgs{Interval: -time.Second}}, "interval", "must be positive", ErrEdgeSpec},
	}
	for _, c := range cases {
		_, err := c.args.Spec()
		se, ok := errors.AsType[*SettingError](err)
		if !ok {
			t.Errorf("%+v: error %v is not a *SettingError", c.args, err)
			continue
		}
		if se.Setting != c.setting || !strings.Contains(se.Reason, c.reason) || !errors.Is(err, c.kind) {
			t.Errorf("%+v: %q (setting %q, is %v: %v), want setting %q, reason with %q", c.args, err, se.Setting,
				c.kind, errors.Is(err, c.kind), c.setting, c.reason)
		}
	}
}
