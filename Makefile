# firedrill — the one place that says how to build, test and run.
GO      ?= go
BIN     ?= bin
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.Version=$(VERSION)

.PHONY: all build test lint bench fmt clean

all: build

## build: compile the firedrill binary into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/firedrill ./cmd/firedrill

## test: THE test command: unit, integration (real SQLite, real Kubernetes API server, real plugin subprocesses) and browser tests
test:
	$(GO) test -count=1 -timeout 35m $(PKGS)

## lint: go vet and gofmt
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: performance targets, as Go benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
