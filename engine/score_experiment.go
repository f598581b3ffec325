package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Result files of a scoring run, written into its output folder.
const (
	ScoresFile         = "scores.parquet"
	IntervalScoresFile = "interval_scores.parquet"
	RolesFile          = "roles.parquet"
	RolesBasisFile     = "roles_basis.parquet"
	ExperimentFile     = "experiment.json"
)

// ExperimentKey is the Parquet key-value metadata key under which every result file
// of a scoring run carries the run's experiment.json (compact).
const ExperimentKey = "lanlq_experiment"

// EvalWarmupExcluded is the value of Experiment.EvalWarmup: lanlq eval leaves the
// warm-up intervals out of every metric.
const EvalWarmupExcluded = "excluded"

// Experiment records every setting and choice of a scoring run: experiment.json, and
// the key-value metadata ExperimentKey of each result file. Times are UTC
// "2006-01-02 15:04:05"; an empty frame bound is open.
type Experiment struct {
	Version         int      `json:"version"`
	Method          string   `json:"method"`
	Arch            string   `json:"arch"`
	ArchKey         string   `json:"arch_key"`
	IntervalSeconds int64    `json:"interval_seconds"`
	Streams         []string `json:"streams"`
	FrameFrom       string   `json:"frame_from"`
	FrameTo         string   `json:"frame_to"`
	// FirstInterval and LastInterval are the first and last interval of the frame
	// (those holding FrameFrom and the last second before FrameTo; an open side ends
	// at the data's first or last interval). Every interval between them, Intervals in
	// all, events or not, is in interval_scores.
	FirstInterval string `json:"first_interval"`
	LastInterval  string `json:"last_interval"`
	Intervals     int    `json:"intervals"`
	// GraphIntervals counts the intervals that had a graph.
	GraphIntervals int `json:"graph_intervals"`
	// RoleModel says whether the run computed role memberships (ScoreSpec.UsesRoles).
	// When false, no training window was read and no features or basis exist: the
	// training and role fields below are empty, roles.parquet and roles_basis.parquet
	// are not written, and the role columns of scores.parquet are NULL.
	RoleModel      bool   `json:"role_model"`
	TrainFrom      string `json:"train_from"`
	TrainTo        string `json:"train_to"`
	TrainIntervals int    `json:"train_intervals"`
	// TrainRows is the number of (interval, artifact) rows of the training matrix.
	TrainRows   int       `json:"train_rows"`
	Roles       int       `json:"roles"`
	RolesAuto   bool      `json:"roles_auto"`
	MDL         []MDLCost `json:"mdl"`
	Generations int       `json:"generations"`
	Features    []string  `json:"features"`
	// FeatureScales are the divisors of the log1p-normalised features.
	FeatureScales []float64 `json:"feature_scales"`
	// Basis is the fitted role basis, roles × features (rows of unit L1 norm).
	Basis           [][]float64 `json:"basis"`
	Expectation     string      `json:"expectation"`
	HalfLife        float64     `json:"half_life"`
	Seed            uint64      `json:"seed"`
	DataFingerprint string      `json:"data_fingerprint"`
	// Components are the fused components in fusion order; empty for MethodRoles.
	Components []string `json:"components"`
	// Fusion holds every setting of the fused components; nil for MethodRoles.
	Fusion *FusionSettings `json:"fusion,omitempty"`
	// WarmupTo ends the warm-up: the frame's intervals before it are scored and
	// flagged warmup in scores.parquet and interval_scores.parquet. The warm-up is the
	// frame's first day (the histories of the fused components start empty, so every
	// contact is new and no hour of day has a level yet) and, when the training window
	// overlaps the frame, every interval up to its end (the role basis was fitted on
	// those very graphs). It is the same for both methods.
	WarmupTo        string `json:"warmup_to"`
	WarmupIntervals int    `json:"warmup_intervals"`
	// EvalWarmup says how lanlq eval treats the warm-up intervals: EvalWarmupExcluded.
	EvalWarmup string `json:"eval_warmup"`
}

// FusionSettings are the settings of MethodFused's components, as used (defaults
// filled in).
type FusionSettings struct {
	// Combination is how the components' surprises are combined: "fisher".
	Combination string `json:"combination"`
	// Period is the number of intervals in a day, the season of the role and volume
	// histories (86400 / interval_seconds, at least 1).
	Period int `json:"period"`
	// History configures the per-artifact histories of δ and of the log-degree.
	History HistorySettings `json:"history"`
	// RoleMinScale and VolumeMinScale are the smallest prediction-error spreads of the
	// role and volume histories (δ, and ln(1+degree)).
	RoleMinScale   float64 `json:"role_min_scale"`
	VolumeMinScale float64 `json:"volume_min_scale"`
	// NoveltyContacts is ScoreSpec.Novelty; NoveltyPairs are the artifact kind pairs
	// whose edges are contacts.
	NoveltyContacts string      `json:"novelty_contacts"`
	NoveltyPairs    [][2]string `json:"novelty_pairs"`
	// NoveltyGraded and NoveltyCounterpart are graphkit.NoveltyConfig's Graded and
	// Counterpart.
	NoveltyGraded      bool    `json:"novelty_graded"`
	NoveltyCounterpart bool    `json:"novelty_counterpart"`
	NoveltyWindow      int     `json:"novelty_window"`
	NoveltyHalfLife    float64 `json:"novelty_half_life"`
	NoveltyPriorWeight float64 `json:"novelty_prior_weight"`
}

// HistorySettings mirror graphkit.HistoryConfig.
type HistorySettings struct {
	HalfLife     float64 `json:"half_life"`
	ProfileAfter float64 `json:"profile_after"`
	PriorWeight  float64 `json:"prior_weight"`
	SlotWeight   float64 `json:"slot_weight"`
	PriorDoF     float64 `json:"prior_dof"`
}

// MDLCost is the description length of one candidate number of roles, in bits.
type MDLCost struct {
	Roles      int     `json:"roles"`
	ModelBits  float64 `json:"model_bits"`
	ErrorBits  float64 `json:"error_bits"`
	Total      float64 `json:"total_bits"`
	Divergence float64 `json:"divergence"`
}

// Width returns the interval width.
func (e *Experiment) Width() time.Duration { return time.Duration(e.IntervalSeconds) * time.Second }

// fmtTime formats t as UTC "2006-01-02 15:04:05", "" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime)
}

// ReadExperiment returns the experiment of a result file: its ExperimentKey metadata;
// failing that, the single scoring run of the ExperimentInfo in its ExperimentRunKey
// metadata (an experiment's result); failing that, the experiment.json in the same
// folder, which lanlq score writes as an Experiment and lanlq run as an
// ExperimentInfo. An experiment that made no or several scoring runs does not say
// which run the file holds: the error wraps ErrNoScores.
func (s *Session) ReadExperiment(ctx context.Context, resultPath string) (*Experiment, error) {
	kv := map[string][]byte{}
	// An unreadable file (not Parquet, or a folder) still has experiment.json beside it;
	// so has a folder of result parts, whose first part holds the first run's record.
	if isResultFolder(resultPath) {
		// experiment.json beside it is the latest run's.
	} else if rows, err := s.Query(ctx, "SELECT decode(key), value FROM parquet_kv_metadata(?) WHERE key IN (encode(?), encode(?))",
		QuoteGlob(resultPath), ExperimentKey, ExperimentRunKey); err == nil {
		for rows.Next() {
			var k string
			var v []byte
			if rows.Scan(&k, &v) == nil && kv[k] == nil {
				kv[k] = v
			}
		}
		if errors.Join(rows.Err(), rows.Close()) != nil {
			clear(kv)
		}
	}
	if raw, ok := kv[ExperimentKey]; ok {
		return decodeExperiment(ExperimentKey+" metadata of "+resultPath, raw)
	}
	if raw, ok := kv[ExperimentRunKey]; ok {
		return singleRun(ExperimentRunKey+" metadata of "+resultPath, raw)
	}
	beside := filepath.Join(filepath.Dir(resultPath), ExperimentFile)
	raw, err := os.ReadFile(beside)
	if err != nil {
		return nil, fmt.Errorf("%w: %s has no experiment metadata and no %s beside it", ErrNoScores, resultPath, ExperimentFile)
	}
	// Both are JSON objects with a version; only an ExperimentInfo counts statements.
	var probe struct {
		Statements *int `json:"statements"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("engine: experiment in %s: %w", beside, err)
	}
	if probe.Statements != nil {
		return singleRun(beside, raw)
	}
	return decodeExperiment(beside, raw)
}

// decodeExperiment decodes an Experiment read from source (a metadata key of a file,
// or a file), which errors name.
func decodeExperiment(source string, raw []byte) (*Experiment, error) {
	var exp Experiment
	if err := json.Unmarshal(raw, &exp); err != nil {
		return nil, fmt.Errorf("engine: experiment in %s: %w", source, err)
	}
	return &exp, nil
}

// singleRun decodes an ExperimentInfo read from source and returns its single
// scoring run.
func singleRun(source string, raw []byte) (*Experiment, error) {
	var info ExperimentInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("engine: experiment in %s: %w", source, err)
	}
	exp, err := info.SingleRun()
	if err != nil {
		return nil, fmt.Errorf("%w (read from %s)", err, source)
	}
	return exp, nil
}
