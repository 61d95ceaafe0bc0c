#!/usr/bin/env bash
# Load benchmark: starts a Release ibd-cds on a free loopback port and drives it with wrk.
# (One of three benchmarks `make bench` runs; bench/README.md says what each prints.)
#   1. POST the TDM scenario's hook request (the full pipeline: parse, model, rules, cards)
#   2. GET the discovery document
# Prints requests/s and latency percentiles for each. A measurement, not a test.
# Knobs: DURATION (default 15s), CONNECTIONS (16), THREADS (2), BIN (build/bin/ibd-cds).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/ibd-cds}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
SCENARIO=tests/scenarios/tdm-reactive-fires-infliximab-active.json

command -v wrk >/dev/null || { echo "bench: wrk is not installed (make deps)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN not built (make build)" >&2; exit 1; }

work=$(mktemp -d)
server_pid=""
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# The scenario's request with its dates moved to today (the server judges freshness by its clock).
"$BIN" request --scenario "$SCENARIO" > "$work/request.json"

# Logging at warn: per-request info lines would measure the terminal, not the server.
sed 's/^  level: info/  level: warn/' config/ibd-cds.yaml > "$work/ibd-cds.yaml"
sed -i "s#^rules_file: rules.yaml#rules_file: $PWD/config/rules.yaml#; s#^valuesets_dir: valuesets#valuesets_dir: $PWD/config/valuesets#" "$work/ibd-cds.yaml"

# Development profile (no client authentication; loopback only) where the binary has profiles.
profile=()
"$BIN" serve --help 2>/dev/null | grep -q -- '--profile' && profile=(--profile development)
"$BIN" serve --config "$work/ibd-cds.yaml" --listen 127.0.0.1:0 "${profile[@]}" > "$work/banner" 2> "$work/log" &
server_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/banner" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\).*#\1#p' "$work/banner")
[ -n "$port" ] || { echo "bench: server did not start"; cat "$work/log"; exit 1; }
url="http://127.0.0.1:$port"

# Sanity: the POST returns the TDM card before we time it.
curl -sf -H 'Content-Type: application/json' --data-binary @"$work/request.json" "$url/cds-services/ibd-patient-view" \
  | grep -q '"tdm-reactive"' || { echo "bench: the scenario did not return the TDM card"; exit 1; }

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/request.json", "r")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
sed '/^wrk.method/,/^f:close()/d' "$work/post.lua" > "$work/get.lua"

echo "ibd-cds load benchmark: $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, server threads = one per core"
echo "body: $(wc -c < "$work/request.json") bytes ($SCENARIO)"
for kind in post get; do
  if [ $kind = post ]; then target="$url/cds-services/ibd-patient-view"; label="POST tdm scenario"; else target="$url/cds-services"; label="GET discovery    "; fi
  line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$work/$kind.lua" "$target" | grep '^RESULT')
  echo "$label ${line#RESULT }"
done
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server_pid/status)
echo "server peak RSS: $((rss_kb / 1024)) MiB"
