# Kefu — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       ?= bin/kefu
GOFLAGS   ?=
PKGS      := ./...

.PHONY: run build ui test test-embedded lint bench fuzz clean

run: build ## start the hub in embedded mode (SQLite + in-process NATS under ./data)
	./$(BIN) serve

build: ui ## build the workbench UI, then the kefu binary (which embeds it)
	$(GO) build $(GOFLAGS) -o $(BIN) .

ui: ## build the workbench UI (workbench/ui, Node 20+) into workbench/webui/dist
	cd workbench/ui && npm ci --no-audit --no-fund && npm run build

test: ui ## every test: embedded mode, and PostgreSQL + NATS (127.0.0.1:5432 / :4222) — fails if those are down
	$(GO) vet $(PKGS)
	$(GO) test $(GOFLAGS) -count=1 -timeout 15m $(PKGS)

test-embedded: ui ## only embedded-mode tests (no PostgreSQL/NATS needed)
	KEFU_TEST_EMBEDDED_ONLY=1 $(GO) test -count=1 -timeout 15m $(PKGS)

lint: ## gofmt, go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)

bench: build ## micro-benchmarks; see README for `kefu bench` load runs
	$(GO) test -run '^$$' -bench . -benchmem ./hub/... ./connectors/...

fuzz: ## run each fuzz target for 60s
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60s ./connectors/api/
	$(GO) test -run '^$$' -fuzz '^FuzzPayloadFields$$' -fuzztime 60s ./connectors/api/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 60s ./connectors/api/
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime 60s ./connectors/wechat/

clean:
	rm -rf bin data workbench/webui/dist workbench/ui/node_modules testdata/ui-output
