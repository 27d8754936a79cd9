# Kefu — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       ?= bin/kefu
# -tags ne: the Chinese segmenter (gse) leaves out its own 34 MB of built-in
# dictionaries; the knowledge base loads the small one it embeds itself.
GOFLAGS   ?= -tags=ne
PKGS      := ./...
# Most end-to-end tests wait on hubs, NATS, PostgreSQL or a browser rather
# than compute: four at a time in a package (the default is one per core)
# halves their wall time on a 2-core box.
TESTFLAGS ?= -count=1 -timeout 15m -parallel 4
# Static analysis, fetched from the Go module proxy by exact version (not in
# go.mod: no tool joins the hub's module graph).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0

.PHONY: run build ui widget ui-test appsdk test test-embedded lint fmtcheck vet staticcheck vulncheck bench fuzz clean

run: build ## start the hub in embedded mode (SQLite + in-process NATS under ./data)
	./$(BIN) serve

build: ui ## build the workbench UI, then the kefu binary (which embeds it)
	$(GO) build $(GOFLAGS) -o $(BIN) .

ui: widget ## build the workbench UI (workbench/ui, Node 20+) into workbench/webui/dist
	cd workbench/ui && npm ci --no-audit --no-fund && npm run build

widget: ## build the website chat widget (connectors/web/widget) into connectors/web/assets/dist; fails over its size budget
	cd connectors/web/widget && npm ci --no-audit --no-fund && npm run build

ui-test: ui ## the workbench UI's unit tests (Vitest)
	cd workbench/ui && npm test

appsdk: ## the app chat SDK (connectors/app/sdk/js, @kefu/app-sdk): build into its dist/ (fails over the core's size budget), then its Vitest unit tests
	cd connectors/app/sdk/js && npm ci --no-audit --no-fund && npm run build && npm test

# The end-to-end tests (e2e/) run this freshly built binary.
test: export KEFU_TEST_BINARY = $(abspath $(BIN))
test-embedded: export KEFU_TEST_BINARY = $(abspath $(BIN))

test: build ui-test appsdk vet ## every test: embedded mode, and PostgreSQL + NATS (127.0.0.1:5432 / :4222) — fails if those are down
	@date -u +"go test from %T"
	$(GO) test $(GOFLAGS) $(TESTFLAGS) $(PKGS)

test-embedded: build ui-test appsdk ## only embedded-mode tests (no PostgreSQL/NATS needed)
	KEFU_TEST_EMBEDDED_ONLY=1 $(GO) test $(GOFLAGS) $(TESTFLAGS) $(PKGS)

lint: fmtcheck vet staticcheck ## gofmt, go vet, staticcheck (its default checks)

fmtcheck: ## gofmt has nothing to change
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

vet: ## go vet (make test runs it too; once when both are asked for: `make lint test`)
	$(GO) vet $(GOFLAGS) $(PKGS)

staticcheck: ## staticcheck's default checks
	$(GO) run $(STATICCHECK) -tags ne $(PKGS)

# govulncheck needs its vulnerability database (vuln.go.dev), which only the
# module proxy can be reached from here: it runs where that site answers, and
# is not part of CI (see README, Security checks).
vulncheck: ## the module graph against the Go vulnerability database (needs vuln.go.dev)
	$(GO) run $(GOVULNCHECK) $(PKGS)

bench: build ## micro-benchmarks; see README for `kefu bench` load runs
	$(GO) test -run '^$$' -bench . -benchmem ./hub/... ./connectors/...

fuzz: ## run each fuzz target for 60s
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60s ./connectors/api/
	$(GO) test -run '^$$' -fuzz '^FuzzPayloadFields$$' -fuzztime 60s ./connectors/api/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 60s ./connectors/api/
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime 60s ./connectors/wechat/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60s ./connectors/weibo/
	$(GO) test -run '^$$' -fuzz '^FuzzCheckSignature$$' -fuzztime 60s ./connectors/weibo/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60s ./connectors/qq/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 60s ./connectors/qq/
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime 60s ./connectors/wecom/
	$(GO) test -run '^$$' -fuzz '^FuzzParsePage$$' -fuzztime 60s ./connectors/wecom/
	$(GO) test -run '^$$' -fuzz '^FuzzParsePeriod$$' -fuzztime 60s ./hub/reports/
	$(GO) test -run '^$$' -fuzz '^FuzzSearchKeyword$$' -fuzztime 60s ./connectors/web/visitors/
	$(GO) test -run '^$$' -fuzz '^FuzzConfig$$' -fuzztime 60s ./connectors/web/
	$(GO) test -run '^$$' -fuzz '^FuzzSearch$$' -fuzztime 60s ./hub/kb/
	$(GO) test -run '^$$' -fuzz '^FuzzParseCSV$$' -fuzztime 60s ./hub/kb/
	$(GO) test -run '^$$' -fuzz '^FuzzConfig$$' -fuzztime 60s ./connectors/app/push/
	$(GO) test -run '^$$' -fuzz '^FuzzAnswers$$' -fuzztime 60s ./connectors/app/push/
	$(GO) test -run '^$$' -fuzz '^FuzzParseJWT$$' -fuzztime 60s ./connectors/app/
	$(GO) test -run '^$$' -fuzz '^FuzzReadToken$$' -fuzztime 60s ./connectors/app/
	$(GO) test -run '^$$' -fuzz '^FuzzFrame$$' -fuzztime 60s ./connectors/app/

clean:
	rm -rf bin data workbench/webui/dist workbench/ui/node_modules testdata/ui-output connectors/web/assets/dist connectors/web/widget/node_modules connectors/app/sdk/js/node_modules connectors/app/sdk/js/dist
