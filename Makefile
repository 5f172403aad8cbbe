# The two commands: `make demo` runs the main job, `make test` runs every test. Both first
# install whatever is missing (deploy/local/install.sh: apt-get + a cached go build of the
# control plane), so they work on a fresh machine.
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test demo bench cluster-up cluster-down clean

all: build

deps:
	@deploy/local/install.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Every test: unit, NATS, the local control plane, eBPF on the real kernel (root), end to end.
# Select a part with e.g. `make test CTEST_ARGS="-L unit"`.
test: build
	@cd $(BUILD) && ctest --output-on-failure --no-tests=error $(CTEST_ARGS)

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
