#!/usr/bin/env bash
# Hook latency when prefetch keys are missing and the FHIR server is slow.
#
# Starts the Medplum test FHIR server with every /fhir answer delayed by DELAY_MS, loads a
# scenario's patient into it, and starts ibd-cds allowed to fetch from it. Then, for
# N = 0..6 missing prefetch keys (patient, conditions, observations, medications,
# medication-requests, procedures, in that order), POSTs the patient-view request REPEAT times
# and prints the median and maximum latency and their ratio to one delay. The server fetches
# every missing key at once, so the latency should stay near one delay for any N >= 1, not
# N x DELAY_MS. Last, a wrk run at N = 6 with CONCURRENCY connections shows throughput when
# every call waits on the slow server.
# A measurement, not a test: it only fails when something does not start or answer.
# Knobs: DELAY_MS (200), REPEAT (10), CONCURRENCY (4), DURATION (10s), BIN (build/bin/ibd-cds),
#        SCENARIO (the TDM scenario).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin/ibd-cds}
DELAY_MS=${DELAY_MS:-200}
REPEAT=${REPEAT:-10}
CONCURRENCY=${CONCURRENCY:-4}
DURATION=${DURATION:-10s}
SCENARIO=${SCENARIO:-tests/scenarios/tdm-reactive-fires-infliximab-active.json}
KEYS=(patient conditions observations medications medication-requests procedures)

for tool in node curl; do
  command -v "$tool" >/dev/null || { echo "fetch_latency: $tool is not installed (make deps)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "fetch_latency: $BIN not built (make build)" >&2; exit 1; }
tests/fhir-servers/install.sh

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for FILE PATTERN NAME: waits up to 30 s for PATTERN in FILE (the ready line of the
# server started last), and gives up early when that server has exited.
wait_for() {
  local i
  for ((i = 0; i < 300; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "fetch_latency: $3 did not start" >&2
  cat "$work/$3.log" >&2 || true
  exit 1
}

# 1. The slow FHIR server (exec: the recorded pid is node's own).
(exec node tests/fhir-servers/medplum-server.mjs --port 0 --delay-ms "$DELAY_MS" --exit-with-parent) \
  > "$work/fhir.out" 2> "$work/fhir.log" &
pids+=($!)
wait_for "$work/fhir.out" '^listening [0-9]' fhir
fhir_port=$(sed -n 's/^listening \([0-9]*\).*/\1/p' "$work/fhir.out")
fhir_origin="http://127.0.0.1:$fhir_port"
fhir_base="$fhir_origin/fhir"

# 2. The patient: the scenario's request dated to today, its prefetch loaded as a transaction.
"$BIN" request --scenario "$SCENARIO" > "$work/request.json"
node - "$work/request.json" > "$work/transaction.json" <<'JS'
const fs = require("fs");
const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const entry = [];
for (const value of Object.values(request.prefetch || {})) {
  if (!value || !value.resourceType) continue;
  const resources = value.resourceType === "Bundle" ? (value.entry || []).map((e) => e.resource) : [value];
  for (const r of resources)
    if (r && r.resourceType !== "OperationOutcome")
      entry.push({ resource: r, request: { method: "PUT", url: `${r.resourceType}/${r.id}` } });
}
process.stdout.write(JSON.stringify({ resourceType: "Bundle", type: "transaction", entry }));
JS
status=$(curl -s -o "$work/transaction-response.json" -w '%{http_code}' -H 'Content-Type: application/fhir+json' \
  --data-binary @"$work/transaction.json" "$fhir_base")
[ "$status" = 200 ] || { echo "fetch_latency: loading the patient answered $status" >&2; cat "$work/transaction-response.json" >&2; exit 1; }
loaded=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).entry.length)' "$work/transaction.json")

# 3. ibd-cds, allowed to fetch from that server with nothing timing out.
awk -v origin="$fhir_origin" -v root="$PWD/config" '
  /^[a-z_]+:/ { section = $1 }
  /^rules_file:/ { print "rules_file: " root "/rules.yaml"; next }
  /^valuesets_dir:/ { print "valuesets_dir: " root "/valuesets"; next }
  section == "fhir_client:" && /^  enabled:/ { print "  enabled: true"; next }
  section == "fhir_client:" && /^  allowed_servers:/ { print "  allowed_servers: [\"" origin "\"]"; next }
  section == "fhir_client:" && /^  allow_loopback:/ { print "  allow_loopback: true"; next }
  section == "fhir_client:" && /^  request_timeout_ms:/ { print "  request_timeout_ms: 5000"; next }
  section == "fhir_client:" && /^  budget_ms:/ { print "  budget_ms: 5000"; next }
  section == "logging:" && /^  level:/ { print "  level: warn"; next }
  { print }
' config/ibd-cds.yaml > "$work/ibd-cds.yaml"
for want in "allowed_servers: \[\"$fhir_origin\"\]" 'allow_loopback: true' 'budget_ms: 5000' 'request_timeout_ms: 5000'; do
  grep -q "^  $want" "$work/ibd-cds.yaml" || { echo "fetch_latency: could not set '$want' in the fhir_client section of config/ibd-cds.yaml" >&2; exit 1; }
done
# Development profile (no client authentication; loopback only) where the binary has profiles.
profile=()
"$BIN" serve --help 2>/dev/null | grep -q -- '--profile' && profile=(--profile development)
(exec "$BIN" serve --config "$work/ibd-cds.yaml" --listen 127.0.0.1:0 "${profile[@]}") > "$work/cds.out" 2> "$work/cds.log" &
pids+=($!)
wait_for "$work/cds.out" 'listening on http' cds
cds_port=$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\).*#\1#p' "$work/cds.out")
url="http://127.0.0.1:$cds_port/cds-services/ibd-patient-view"

# 4. One request per N: the first N keys left out, fhirServer and a token to fetch them with.
for n in 0 1 2 3 4 5 6; do
  node - "$work/request.json" "$fhir_base" "$n" "${KEYS[@]}" > "$work/request-$n.json" <<'JS'
const fs = require("fs");
const [file, base, n, ...keys] = process.argv.slice(2);
const request = JSON.parse(fs.readFileSync(file, "utf8"));
for (const key of keys.slice(0, Number(n))) delete request.prefetch[key];
request.fhirServer = base;
request.fhirAuthorization = { access_token: "bench-token-not-secret", token_type: "Bearer", expires_in: 300,
                              scope: "patient/*.read", subject: "x" };
process.stdout.write(JSON.stringify(request));
JS
done

post() {  # post N: prints "STATUS SECONDS"; the body goes to $work/response.json
  curl -s -o "$work/response.json" -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
    --data-binary @"$work/request-$1.json" "$url"
}
fetches() { curl -s "$fhir_origin/__log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).requests.length))'; }

echo "ibd-cds fetch latency: $(nproc) cores; Medplum test server with --delay-ms $DELAY_MS; $REPEAT requests per N"
echo "patient: $loaded resources from $SCENARIO; fhir_client budget 5000 ms, request timeout 5000 ms"
printf '%-3s %-9s %-10s %-10s %-12s %-13s %s\n' N fetches median_ms max_ms 'median/delay' 'naive N*delay' 'missing keys'
for n in 0 1 2 3 4 5 6; do
  curl -s -X POST "$fhir_origin/__reset-log" > /dev/null
  read -r code _ < <(post "$n")  # warm-up, and the check that the answer is the TDM card
  [ "$code" = 200 ] && grep -q '"tdm-reactive"' "$work/response.json" || {
    echo "fetch_latency: N=$n answered $code without the TDM card:" >&2; head -c 600 "$work/response.json" >&2; echo >&2
    tail -5 "$work/cds.log" >&2; exit 1; }
  per_call=$(fetches)
  : > "$work/times"
  for _ in $(seq 1 "$REPEAT"); do
    read -r code secs < <(post "$n")
    [ "$code" = 200 ] || { echo "fetch_latency: N=$n answered $code" >&2; exit 1; }
    echo "$secs" >> "$work/times"
  done
  sort -g "$work/times" | awk -v n="$n" -v delay="$DELAY_MS" -v fetched="$per_call" -v keys="${KEYS[*]:0:$n}" '
    { t[NR] = $1 * 1000 }
    END {
      median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "%-3s %-9s %-10.1f %-10.1f %-12.2f %-13s %s\n", n, fetched, median, t[NR], median / delay, n * delay " ms", keys
    }'
done

# 5. Throughput at N = 6: CONCURRENCY clients at once, every call fetching all six keys.
if command -v wrk >/dev/null; then
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/request-6.json", "r")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f requests=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
  line=$(wrk -t1 -c"$CONCURRENCY" -d"$DURATION" --timeout 10s -s "$work/post.lua" "$url" | grep '^RESULT')
  ideal=$(awk -v c="$CONCURRENCY" -v d="$DELAY_MS" 'BEGIN { printf "%.1f", c * 1000 / d }')
  echo "N=6, wrk -c$CONCURRENCY -d$DURATION: ${line#RESULT } (at most $ideal/s if every call took exactly one delay)"
else
  echo "N=6 throughput: skipped (wrk is not installed)"
fi
