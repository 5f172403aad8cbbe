# The two commands: `make demo` runs the main job, `make test` runs every test. Both first
# install whatever is missing (deploy/local/install.sh: apt-get + a cached go build of the
# control plane), so they work on a fresh machine.
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test test-chaos demo bench cluster-up cluster-down clean

all: build

deps:
	@deploy/local/install.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Every test: unit, NATS, the local control plane, eBPF on the real kernel (root), end to end.
# Select a part with e.g. `make test CTEST_ARGS="-L unit"`.
# The chaos test (exactly_once_chaos_e2e_test, label chaos) is not in it yet. The live-owner
# takeovers that kept it out were Debian's nats-server 2.9.10 (nats-server#4320; deploy/local
# now builds 2.10.22): 4 of 6 runs green since. Of the two red: the test's observer (fixed),
# and one run with an alert left unacknowledged and 0 run records read back after the stream
# leader's loss (effects exactly once; not explained yet). `make test-chaos`.
test: build
	@cd $(BUILD) && ctest --output-on-failure --no-tests=error -LE chaos $(CTEST_ARGS)

test-chaos: build
	@cd $(BUILD) && ctest --output-on-failure --no-tests=error -R '^(cluster_up|cluster_down|real_node_clean_test|exactly_once_chaos_e2e_test)$$'


demo: build
	@deploy/local/demo.sh

bench: build
	@$(BUILD)/bin/riposte-bench

cluster-up: deps
	@deploy/local/cluster.sh up

cluster-down:
	@deploy/local/cluster.sh down

clean:
	@rm -rf $(BUILD)
