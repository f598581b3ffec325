# The one place that holds lanlq's build tag: duckdb-go's Arrow API needs duckdb_arrow.
TAGS    := duckdb_arrow
GO      ?= go
GOFLAGS_TAGS := -tags $(TAGS)
BIN     := bin/lanlq
# Pure-Go packages: make test runs their tests once, under the race detector.
PURE    := ./graphkit/... ./arrowio/... ./sql/... ./lanl/... ./synth/... ./plots/... ./internal/...
# Every other package (a new package is here unless added to PURE): tested without it.
OTHER    = $(filter-out $(shell $(GO) list $(GOFLAGS_TAGS) $(PURE)),$(shell $(GO) list $(GOFLAGS_TAGS) ./...))
# The engine's tests run with the race detector too (its Go side: ingest's reader,
# parser and writer goroutines, scoring, the edge export's reader goroutine, the table
# functions DuckDB calls back into);
# -short leaves out the subprocess and the largest fixtures so the run fits CI's time.
ENGINE_RACE := '^(TestIngest|TestScore|TestTableFunc|TestRunExperiment|TestEdgesIngestEndToEnd|TestEdgesExport|TestIntervalGraph)'

.PHONY: all build test test-short race vet lint fmt-check tidy-check bench demo clean

all: build

build:
	$(GO) build $(GOFLAGS_TAGS) -o $(BIN) ./cmd/lanlq

# The README's test command. The -timeout values only catch a hung test: they are far above a quiet
# machine's times (about 2.5 min for ./..., 1 min per race run) because a machine loaded ten times over
# stretches the suite eightfold (engine: 153 s quiet, over 20 min at load 20); no test measures time.
# Every test runs once (a pure package's under -race: a second, plain run would check
# nothing more); the engine's ENGINE_RACE tests run a second time, under -race.
test: build
	$(GO) test $(GOFLAGS_TAGS) -count=1 -timeout 60m $(OTHER)
	$(GO) test $(GOFLAGS_TAGS) -count=1 -race -timeout 30m $(PURE)
	$(GO) test $(GOFLAGS_TAGS) -count=1 -race -short -timeout 40m -run $(ENGINE_RACE) ./engine/

test-short:
	$(GO) test $(GOFLAGS_TAGS) -short -count=1 ./...

vet:
	$(GO) vet $(GOFLAGS_TAGS) ./...

# errcheck: no silently dropped error; its exclusions and their reasons are in .errcheck-excludes.
lint: fmt-check vet
	staticcheck -tags $(TAGS) ./...
	errcheck -tags $(TAGS) -ignoretests -exclude .errcheck-excludes ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# go mod tidy must leave go.mod and go.sum as committed.
tidy-check:
	$(GO) mod tidy
	@git diff --exit-code go.mod go.sum || (echo "go mod tidy changes go.mod/go.sum: run it and commit"; exit 1)

# The README's demo command: generate → ingest → query (grows with each stage of lanlq).
demo: build
	$(BIN) demo --dir $(or $(DIR),demo)

bench: build
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchmem ./graphkit/... ./engine/...

clean:
	rm -rf bin demo
