#!/usr/bin/env bash
# `make e2e-docker`: brings the compose topology up, runs the demo's assertions against the
# gateway, tears everything down (also on failure). Usage: run.sh "docker compose"|docker-compose
set -euo pipefail
compose=${1:-docker-compose}
here=$(cd "$(dirname "$0")/.." && pwd)
export GATEWAY_PORT=${GATEWAY_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
project=kfaas-e2e-$$
dc() { $compose -p "$project" -f "$here/docker-compose.yaml" "$@"; }
cleanup() {
  if [ "${failed:-0}" = 1 ]; then dc logs --no-color --tail 80 gateway >&2 || true; fi
  dc down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT
failed=1
dc up -d --quiet-pull 2>/dev/null || dc up -d
base=http://127.0.0.1:$GATEWAY_PORT
for _ in $(seq 1 120); do
  curl -s -o /dev/null "$base/healthz" && break
  sleep 0.5
done

# An HS256 token for the demo key in docker/gateway.yaml, valid for an hour.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
secret='kfaas-demo-secret-for-compose-only!!'
now=$(date +%s)
header=$(printf '{"alg":"HS256","typ":"JWT","kid":"demo"}' | b64url)
payload=$(printf '{"iss":"https://auth.kfaas.example.com","aud":"kfaas","sub":"alice","iat":%d,"exp":%d}' "$now" $((now + 3600)) | b64url)
sig=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)
token="$header.$payload.$sig"

pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"
  else fail=$((fail + 1)); echo "FAIL $1: expected [$2], got [$3]"; fi
}
get() { curl -s -w '\n%{http_code}' "$@"; }
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

r=$(get "$base/faas/api/saas/showroom/rooms")
check "no token -> 401" 401 "$(status "$r")"
r=$(get -H "authorization: Bearer $token.x" "$base/faas/api/saas/showroom/rooms")
check "bad token -> 401" 401 "$(status "$r")"
r=$(get -H "authorization: Bearer $token" "$base/faas/api/saas/showroom/rooms?id=7")
check "valid token -> 200" 200 "$(status "$r")"
check "  routed to showroom, normal lane" showroom-normal "$(body "$r" | jq -r .upstream)"
check "  authority rewritten" saas-showroom.faas-alpha.svc.cluster.local "$(body "$r" | jq -r '.[":authority"]')"
check "  x-jwt-sub from the token" alice "$(body "$r" | jq -r '.["x-jwt-sub"]')"
check "  path and query kept" "/faas/api/saas/showroom/rooms?id=7" "$(body "$r" | jq -r '.[":path"]')"
r=$(get -H "authorization: Bearer $token" -H "end-user: test" "$base/faas/api/saas/showroom/rooms")
check "end-user: test -> grey version" showroom-grey "$(body "$r" | jq -r .upstream)"
check "  lane header set" grey "$(body "$r" | jq -r '.["x-grey"]')"
r=$(get -H "authorization: Bearer $token" -H "x-grey: grey" -H "x-jwt-sub: mallory" "$base/faas/api/saas/showroom/rooms")
check "client-sent x-grey ignored" showroom-normal "$(body "$r" | jq -r .upstream)"
check "client-sent x-jwt-sub replaced" alice "$(body "$r" | jq -r '.["x-jwt-sub"]')"
r=$(get -H "authorization: Bearer $token" -H "end-user: test" "$base/faas/api/render")
check "grey lane, no grey version -> normal" render-normal "$(body "$r" | jq -r .upstream)"
check "  lane kept on the request" grey "$(body "$r" | jq -r '.["x-grey"]')"
r=$(get -H "authorization: Bearer $token" "$base/faas/api/nowhere")
check "no faas route -> 404" 404 "$(status "$r")"
check "  JSON reason" no_faas_route "$(body "$r" | jq -r .error)"
r=$(get --path-as-is -H "authorization: Bearer $token" "$base/faas/api/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd")
check "path climbing above the root -> 400" 400 "$(status "$r")"
r=$(get --path-as-is -H "authorization: Bearer $token" "$base/faas/api/saas/showroom/a%2Fb")
check "encoded slash -> 400" 400 "$(status "$r")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && failed=0
exit "$fail"
