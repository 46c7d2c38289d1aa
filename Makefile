# firedrill — the one place that says how to build, test and run.
GO      ?= go
BIN     ?= bin
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.Version=$(VERSION)
PREFIX  ?= /usr/local
# The executables: firedrill and its built-in plugins (one per directory
# under cmd/). firedrill launches the plugins from its own directory, so
# they are built and installed together.
CMDS    := $(notdir $(wildcard cmd/*))
# How executables are shipped: statically linked (no libc mapped into each
# process) with reproducible paths. internal/testbin (ShippedEnv,
# ShippedFlags) builds the RSS benchmark's binaries the same way.
SHIP_ENV   := CGO_ENABLED=0
SHIP_FLAGS := -trimpath

.PHONY: all build install test lint bench fmt clean

all: build

## build: compile every command under cmd/ into bin/, side by side as firedrill runs them: firedrill, firedrill-injector-kubernetes (the built-in Kubernetes plugin, which firedrill launches from its own directory) and firedrill-dev (the local cluster and the demo's shop, which `firedrill cluster` and `firedrill demo` run); statically linked (no libc mapped into each process) with reproducible paths, as internal/testbin's shipped build and the Dockerfile
build:
	$(SHIP_ENV) $(GO) build $(SHIP_FLAGS) -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

## install: install what build compiles into $(DESTDIR)$(PREFIX)/bin, side by side
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(BIN)/,$(CMDS)) $(DESTDIR)$(PREFIX)/bin/

## test: THE test command: unit, integration (real SQLite, real Kubernetes API server, real plugin subprocesses) and browser tests
test:
	$(GO) test -count=1 -timeout 35m $(PKGS)

## lint: go vet and gofmt
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: performance targets, as Go benchmarks; the kill switch's comparisons (issue 13) come first, side by side as ratios
bench: bench-killswitch
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkFanout$$' -benchtime 1x -count 1 $$($(GO) list $(PKGS) | grep -v -e /internal/killswitch$$)

## bench-killswitch: only the kill switch's comparisons, measured side by side in one run: engine Abort vs the parallel PATCH floor vs serial kubectl (10/50/200 faults), fire -> watch vs a bare PATCH -> watch, chat fan-out vs a bare gorilla/websocket hub and a durable floor (that hub behind a group-committed fdatasync; 10/50/100 drills), RSS of serve + plugin; the load average is printed with them
.PHONY: bench-killswitch
bench-killswitch:
	@echo "load average before: $$(cut -d' ' -f1-3 /proc/loadavg)"
	$(GO) test -run '^$$' -bench 'KillSwitch|FireToWatch|ServeRSS' -benchtime 1x -count 1 -timeout 30m ./internal/killswitch
	$(GO) test -run '^$$' -bench 'Fanout' -benchtime 1x -count 1 -timeout 30m ./ui
	@echo "load average after: $$(cut -d' ' -f1-3 /proc/loadavg)"

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)

## proto: regenerate the injector plugin protocol (injectors/proto) with protoc
## (Debian's protobuf-compiler) and the Go generators pinned to go.mod's runtime
PROTOC_GEN_GO_VERSION      ?= v1.36.12
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.2
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
.PHONY: proto
proto:
	@command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler"; exit 1; }
	GOFLAGS= $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOFLAGS= $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH="$(GOBIN_DIR):$$PATH" protoc --proto_path=injectors/proto \
		--go_out=injectors/proto --go_opt=paths=source_relative \
		--go-grpc_out=injectors/proto --go-grpc_opt=paths=source_relative \
		injectors/proto/injector.proto

## demo: one command to a running drill: builds the local cluster's binaries the first time (progress shown), starts the cluster, deploys the sample shop, serves the drill room with the example scenarios and prints the facilitator URL and join links. Ctrl-C reverts every fault and stops everything. Pass flags with ARGS, e.g. make demo ARGS="--time-scale 10"
.PHONY: demo
demo: build
	$(BIN)/firedrill demo $(ARGS)

## cluster: run the local Kubernetes control plane (etcd, apiserver, controller-manager, scheduler, kwok) in the foreground; Ctrl-C stops it. First run builds the binaries (~15 min) into $XDG_CACHE_HOME/firedrill/k8s-v1.34.4
.PHONY: cluster
cluster:
	$(GO) run ./cmd/firedrill-dev cluster up

## studio-bundle: rebuild the scenario studio's editor bundle (CodeMirror 6 from npm, ui/studio/package-lock.json) into ui/web/static/studio/editor.js with esbuild's Go API; commit the result (go build needs no node)
.PHONY: studio-bundle studio-bundle-check
studio-bundle:
	cd ui/studio && npm ci --ignore-scripts --no-audit --no-fund
	$(GO) run ./internal/tools/studiobundle

## studio-bundle-check: fail unless the committed editor bundle is exactly what package-lock.json builds
studio-bundle-check:
	cd ui/studio && npm ci --ignore-scripts --no-audit --no-fund
	$(GO) run ./internal/tools/studiobundle -check
