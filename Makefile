# nginxws — see README.md.
#
#   make build   bin/nginxws and bin/demo-backend
#   make run     the demo: two backends behind nginxws on http://127.0.0.1:8080/
#   make test    lint, then every test with the race detector
#   make lint    gofmt check, go vet, staticcheck
#   make bench   measurements (reload latency: file written -> served;
#                WebSocket tunnels beside nginx: ping-pong, bulk, idle memory)
#   make clean   remove what the targets above created

GO ?= go

# staticcheck is pinned and installed into bin/tools/ (from the Go module
# proxy, on first use), so every machine runs the same checks and nothing
# outside the repository is touched. Changing the version installs anew.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := bin/tools/staticcheck-$(STATICCHECK_VERSION)/staticcheck

.PHONY: all build run test lint fmt-check vet staticcheck unit bench clean

all: build

build:
	$(GO) build -o bin/nginxws ./cmd/nginxws
	$(GO) build -o bin/demo-backend ./examples/backend

run: build
	examples/run.sh

test: lint unit

lint: fmt-check vet staticcheck

# Every .go file in the tree, tracked or not, except testdata (which may hold
# deliberately odd input) and build output.
fmt-check:
	@files=$$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path '*/testdata/*'); \
	bad=$$(gofmt -l $$files); \
	if [ -n "$$bad" ]; then \
		echo "gofmt: these files are not formatted (run gofmt -w on them):"; \
		echo "$$bad"; \
		exit 1; \
	fi

vet:
	$(GO) vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

$(STATICCHECK):
	GOBIN=$(CURDIR)/$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# NODE_PATH: Node's ws package, where .ci/run installs it (the WebSocket
# client tests skip without it).
unit:
	NODE_PATH=$(CURDIR)/bin/node/node_modules $(GO) test -race ./...

# Each measurement is a line of its own.
bench: build
	$(GO) run ./examples/bench/reload -nginxws bin/nginxws
	$(GO) run ./examples/bench/tunnel -nginxws bin/nginxws -backend bin/demo-backend

clean:
	rm -rf bin examples/run
