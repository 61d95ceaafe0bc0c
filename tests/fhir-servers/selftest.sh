#!/usr/bin/env bash
# Self-test of the two test FHIR servers: installs, makes certificates in a temporary folder,
# starts the servers on loopback and checks them with curl. Needs node 20+, npm, curl, openssl.
# Prints one line per check and closes with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

for tool in curl openssl node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "selftest: $tool not found" >&2; exit 1; }
done
./install.sh || exit 1

tmp="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1${2:+: $2}"; }
# check NAME COMMAND...: passes when the command succeeds.
check() { local name="$1"; shift; if "$@" >/dev/null; then ok "$name"; else bad "$name"; fi; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# jsq FILE EXPR: evaluates the JavaScript expression EXPR with b = the parsed JSON in FILE and prints it.
jsq() {
  node -e '
    const fs = require("fs");
    let b; try { b = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch (e) { b = undefined; }
    const v = eval(process.argv[2]);
    process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
  ' "$1" "$2"
}
# expect_js FILE EXPR WANT: jsq FILE EXPR prints exactly WANT.
expect_js() { local got; got="$(jsq "$1" "$2")"; [[ "$got" == "$3" ]] || { echo "    got: $got  want: $3" >&2; return 1; }; }

# get URL [curl args...]: body -> $tmp/body, headers -> $tmp/hdr, status -> $code, curl exit -> $rc
get() {
  local url="$1"; shift
  code="$(curl -sS -m 15 -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' "$@" "$url" 2>"$tmp/curlerr")"
  rc=$?
}
header() { grep -i "^$1:" "$tmp/hdr" | tail -1 | cut -d' ' -f2- | tr -d '\r'; }

# start NAME OUTFILE COMMAND...: starts a server, waits for its "listening" line (30 s at most).
start() {
  local name="$1" out="$2"; shift 2
  (exec "$@") >"$out" 2>"$tmp/$name.err" &   # exec: $! is the server itself, not a subshell
  local pid=$!
  pids+=("$pid")
  local i
  for ((i = 0; i < 300; i++)); do
    if grep -q '^listening ' "$out" 2>/dev/null; then echo "$pid" >"$tmp/$name.pid"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "selftest: $name did not start:" >&2
  cat "$tmp/$name.err" >&2
  return 1
}

ids_of() { jsq "$tmp/body" '(b.entry||[]).map(e=>e.resource.id).join(",")'; }

# ------------------------------------------------------------------------------------------------
echo "# certificates"
check "make-test-certs.sh creates the set" ./make-test-certs.sh "$tmp/certs"
first_mtime="$(stat -c %Y "$tmp/certs/ca.pem")"
sleep 1
./make-test-certs.sh "$tmp/certs"
check "make-test-certs.sh is idempotent" test "$(stat -c %Y "$tmp/certs/ca.pem")" = "$first_mtime"
c="$tmp/certs"
check "server.pem chains to ca.pem, valid for localhost" \
  openssl verify -CAfile "$c/ca.pem" -verify_hostname localhost "$c/server.pem"
check "server.pem valid for 127.0.0.1" openssl verify -CAfile "$c/ca.pem" -verify_ip 127.0.0.1 "$c/server.pem"
check "wrong-name.pem chains to ca.pem" openssl verify -CAfile "$c/ca.pem" "$c/wrong-name.pem"
check "wrong-name.pem is not valid for localhost" \
  bash -c "! openssl verify -CAfile '$c/ca.pem' -verify_hostname localhost '$c/wrong-name.pem' >/dev/null 2>&1"
check "untrusted.pem does not chain to ca.pem" \
  bash -c "! openssl verify -CAfile '$c/ca.pem' '$c/untrusted.pem' >/dev/null 2>&1"
check "untrusted.pem chains to untrusted-ca.pem" \
  openssl verify -CAfile "$c/untrusted-ca.pem" -verify_ip 127.0.0.1 "$c/untrusted.pem"
check "ca.pem is a CA" bash -c "openssl x509 -in '$c/ca.pem' -noout -ext basicConstraints | grep -q 'CA:TRUE'"
check "server.pem has serverAuth EKU" \
  bash -c "openssl x509 -in '$c/server.pem' -noout -ext extendedKeyUsage | grep -q 'TLS Web Server Authentication'"

# ------------------------------------------------------------------------------------------------
echo "# medplum-server"
t0="$(now_ms)"
start medplum "$tmp/medplum.out" node medplum-server.mjs --port 0 || exit 1
startup_ms=$(( $(now_ms) - t0 ))
check "ready line is exactly 'listening <port>'" grep -Eqx 'listening [0-9]+' "$tmp/medplum.out"
MP="$(awk '{print $2}' "$tmp/medplum.out")"
B="http://127.0.0.1:$MP/fhir"

obs() { # id patient date category
  printf '{"resourceType":"Observation","id":"%s","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"%s"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"1988-5"}],"text":"CRP"},"subject":{"reference":"Patient/%s"},"effectiveDateTime":"%s","valueQuantity":{"value":12,"unit":"mg/L","system":"http://unitsofmeasure.org","code":"mg/L"}}' \
    "$1" "$4" "$2" "$3"
}
put_entry() { # resourceJSON Type/id
  printf '{"resource":%s,"request":{"method":"PUT","url":"%s"}}' "$1" "$2"
}
patient_bundle() { # p  (fixed ids: <p>, cond-<p>, obs-<p>-1..3, obs-<p>-vs, ms-<p>, mr-<p>-order, mr-<p>-plan, proc-<p>)
  local p="$1" e=()
  e+=("$(put_entry "{\"resourceType\":\"Patient\",\"id\":\"$p\",\"birthDate\":\"1985-06-15\",\"gender\":\"female\"}" "Patient/$p")")
  e+=("$(put_entry "{\"resourceType\":\"Condition\",\"id\":\"cond-$p\",\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"active\"}]},\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"K50.90\"}]},\"subject\":{\"reference\":\"Patient/$p\"}}" "Condition/cond-$p")")
  e+=("$(put_entry "$(obs "obs-$p-1" "$p" 2024-01-10 laboratory)" "Observation/obs-$p-1")")
  e+=("$(put_entry "$(obs "obs-$p-2" "$p" 2024-03-10 laboratory)" "Observation/obs-$p-2")")
  e+=("$(put_entry "$(obs "obs-$p-3" "$p" 2024-02-10 laboratory)" "Observation/obs-$p-3")")
  e+=("$(put_entry "$(obs "obs-$p-vs" "$p" 2024-04-10 vital-signs)" "Observation/obs-$p-vs")")
  e+=("$(put_entry "{\"resourceType\":\"MedicationStatement\",\"id\":\"ms-$p\",\"status\":\"active\",\"medicationCodeableConcept\":{\"text\":\"infliximab\"},\"subject\":{\"reference\":\"Patient/$p\"}}" "MedicationStatement/ms-$p")")
  e+=("$(put_entry "{\"resourceType\":\"MedicationRequest\",\"id\":\"mr-$p-order\",\"status\":\"active\",\"intent\":\"order\",\"medicationCodeableConcept\":{\"text\":\"vedolizumab\"},\"subject\":{\"reference\":\"Patient/$p\"}}" "MedicationRequest/mr-$p-order")")
  e+=("$(put_entry "{\"resourceType\":\"MedicationRequest\",\"id\":\"mr-$p-plan\",\"status\":\"active\",\"intent\":\"plan\",\"medicationCodeableConcept\":{\"text\":\"ustekinumab\"},\"subject\":{\"reference\":\"Patient/$p\"}}" "MedicationRequest/mr-$p-plan")")
  e+=("$(put_entry "{\"resourceType\":\"Procedure\",\"id\":\"proc-$p\",\"status\":\"completed\",\"code\":{\"text\":\"colonoscopy\"},\"subject\":{\"reference\":\"Patient/$p\"}}" "Procedure/proc-$p")")
  local IFS=,
  printf '{"resourceType":"Bundle","type":"transaction","entry":[%s]}' "${e[*]}"
}
patient_bundle pt-a >"$tmp/pt-a.json"
patient_bundle pt-b >"$tmp/pt-b.json"

get "$B" -X POST -H 'Content-Type: application/fhir+json' --data-binary "@$tmp/pt-a.json"
check "transaction load (patient A) -> 200" test "$code" = 200
check "transaction-response with every entry 2xx" expect_js "$tmp/body" \
  'b.type + ":" + b.entry.every(e => /^2/.test(e.response.status))' "transaction-response:true"
get "$B" -X POST -H 'Content-Type: application/fhir+json' --data-binary "@$tmp/pt-b.json"
check "transaction load (patient B) -> 200" test "$code" = 200
check "Content-Type is application/fhir+json" bash -c "grep -qi '^content-type: application/fhir+json' '$tmp/hdr'"

get "$B/Patient/pt-a"
check "read Patient/pt-a keeps the PUT id" expect_js "$tmp/body" 'b.resourceType+"/"+b.id+" "+b.birthDate' "Patient/pt-a 1985-06-15"
get "$B/Observation/obs-pt-b-2"
check "read Observation/obs-pt-b-2 keeps the PUT id" expect_js "$tmp/body" 'b.id' "obs-pt-b-2"
get "$B/Patient/does-not-exist"
check "unknown id -> 404 OperationOutcome" expect_js "$tmp/body" "'$code:'+b.resourceType" "404:OperationOutcome"

get "$B/Observation?patient=pt-a&category=laboratory&_sort=-date&_count=200"
check "Observation?patient=<bare id>&category=laboratory&_sort=-date: A's labs, newest first" \
  test "$(ids_of)" = "obs-pt-a-2,obs-pt-a-3,obs-pt-a-1"
check "searchset with total and fullUrl" expect_js "$tmp/body" \
  'b.type+":"+b.total+":"+b.entry[0].fullUrl' "searchset:3:$B/Observation/obs-pt-a-2"
get "$B/Observation?patient=Patient/pt-b&category=laboratory&_sort=-date&_count=200"
check "Observation?patient=Patient/<id> form: B's labs only" test "$(ids_of)" = "obs-pt-b-2,obs-pt-b-3,obs-pt-b-1"
get "$B/Observation?subject=pt-b&category=vital-signs"
check "Observation?subject=<bare id>&category=vital-signs" test "$(ids_of)" = "obs-pt-b-vs"
get "$B/Condition?patient=pt-a"
check "Condition?patient=pt-a" test "$(ids_of)" = "cond-pt-a"
get "$B/MedicationStatement?patient=pt-a"
check "MedicationStatement?patient=pt-a" test "$(ids_of)" = "ms-pt-a"
get "$B/MedicationRequest?patient=pt-a&intent=order"
check "MedicationRequest?patient=pt-a&intent=order (plan excluded)" test "$(ids_of)" = "mr-pt-a-order"
get "$B/Procedure?patient=pt-b"
check "Procedure?patient=pt-b" test "$(ids_of)" = "proc-pt-b"
get "$B/Observation?patient=nobody"
check "search with no match -> total 0, no entry" expect_js "$tmp/body" "'$code:'+b.total+':'+(b.entry===undefined)" "200:0:true"

get "$B/Observation?patient=pt-a&_count=abc"
check "bad _count -> 400 OperationOutcome" expect_js "$tmp/body" "'$code:'+b.resourceType" "400:OperationOutcome"
get "$B/Observation?patient=pt-a&date=not-a-date"
check "bad date value -> 400 OperationOutcome" expect_js "$tmp/body" "'$code:'+b.resourceType" "400:OperationOutcome"
get "$B/NoSuchType?patient=pt-a"
check "unknown resource type -> 404" test "$code" = 404
get "$B/Observation?patient=pt-a&no-such-param=1"
check "unknown search param: Medplum matches nothing (200, total 0)" expect_js "$tmp/body" "'$code:'+b.total" "200:0"
get "$B/metadata"
check "metadata -> CapabilityStatement" expect_js "$tmp/body" 'b.resourceType' "CapabilityStatement"

# Paging
url="$B/Observation?patient=pt-a&category=laboratory&_sort=-date&_count=1"
seen=()
pages=0
while [[ -n "$url" && $pages -lt 10 ]]; do
  get "$url"
  seen+=("$(ids_of)")
  pages=$((pages + 1))
  url="$(jsq "$tmp/body" '((b.link||[]).find(l=>l.relation==="next")||{}).url||""')"
  if [[ -n "$url" && "$url" != "http://127.0.0.1:$MP/fhir/"* ]]; then bad "next link is same-origin" "$url"; break; fi
done
check "paging with _count=1 follows next through 3 pages in order" test "${seen[*]}" = "obs-pt-a-2 obs-pt-a-3 obs-pt-a-1"
get "$B/Observation?patient=pt-a&category=laboratory&_count=2"
check "next link keeps the query and adds _offset" expect_js "$tmp/body" \
  'b.link.find(l=>l.relation==="next").url' "$B/Observation?patient=pt-a&category=laboratory&_count=2&_offset=2"
get "http://localhost:$MP/fhir/Observation?patient=pt-a&_count=1"
check "links use the host the client used" expect_js "$tmp/body" \
  'b.link.find(l=>l.relation==="next").url.startsWith("http://localhost:'"$MP"'/fhir/")' "true"
get "$B/Observation?patient=pt-a&_count=5000"
check "_count above 1000 is capped (no error)" test "$code" = 200

# Log
curl -sS -m 5 -X POST "http://127.0.0.1:$MP/__reset-log" >/dev/null
get "$B/Condition?patient=pt-a" -H 'Authorization: Bearer abc'
get "$B/Patient/pt-a"
get "http://127.0.0.1:$MP/__log"
check "/__log records url as received (before the rewrite) and Authorization" expect_js "$tmp/body" \
  'b.requests.map(r=>r.method+" "+r.url+" "+r.authorization).join("|")' \
  "GET /fhir/Condition?patient=pt-a Bearer abc|GET /fhir/Patient/pt-a null"

# Keep-alive and concurrency
n_conn="$(curl -sS -m 15 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' \
  "$B/Patient/pt-a" "$B/Patient/pt-b" "$B/Condition?patient=pt-a" | paste -sd' ')"
check "keep-alive: 3 requests on one connection (num_connects '$n_conn')" test "$n_conn" = "1 0 0"
urls=()
for i in $(seq 1 60); do urls+=("$B/Observation?patient=pt-a&category=laboratory&_count=$i" -o /dev/null); done
codes="$(curl -sS --no-progress-meter -m 30 -Z --parallel-immediate --parallel-max 60 -w '%{http_code}\n' "${urls[@]}" | sort | uniq -c | awk '{print $1"x"$2}')"
check "60 concurrent searches all 200 ($codes)" test "$codes" = "60x200"

# Bigger load: 300 Observations in one transaction (more than Medplum's 50-update limit), then a timed search
node -e '
  const e = [];
  for (let i = 0; i < 300; i++) {
    const d = new Date(Date.UTC(2023, 0, 1) + i * 86400000).toISOString().slice(0, 10);
    e.push({ resource: { resourceType: "Observation", id: "big-" + i, status: "final",
      category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] }],
      code: { text: "CRP" }, subject: { reference: "Patient/pt-big" }, effectiveDateTime: d,
      valueQuantity: { value: i, unit: "mg/L" } }, request: { method: "PUT", url: "Observation/big-" + i } });
  }
  e.push({ resource: { resourceType: "Patient", id: "pt-big" }, request: { method: "PUT", url: "Patient/pt-big" } });
  process.stdout.write(JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: e }));
' >"$tmp/big.json"
get "$B" -X POST -H 'Content-Type: application/fhir+json' --data-binary "@$tmp/big.json"
check "transaction with 301 PUTs -> 200" test "$code" = 200
get "$B" -X POST -H 'Content-Type: application/fhir+json' \
  --data-binary '{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"x1"},"request":{"method":"PUT","url":"Patient/x2"}}]}'
check "transaction with a failing entry -> 400 OperationOutcome" expect_js "$tmp/body" "'$code:'+b.resourceType" "400:OperationOutcome"
search_url="$B/Observation?patient=pt-big&category=laboratory&_sort=-date&_count=200"
curl -sS -m 15 -o /dev/null "$search_url"   # warm-up
times=()
for i in 1 2 3 4 5; do times+=("$(curl -sS -m 15 -o "$tmp/body" -w '%{time_total}' "$search_url")"); done
search_ms="$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%d", $1 * 1000}')"
check "300-Observation search returns 200 of 300, newest first, with next" expect_js "$tmp/body" \
  'b.total+":"+b.entry.length+":"+b.entry[0].resource.id+":"+b.link.some(l=>l.relation==="next")' "300:200:big-299:true"

# --require-token
start token "$tmp/token.out" node medplum-server.mjs --port 0 --require-token s3cret || exit 1
TP="$(awk '{print $2}' "$tmp/token.out")"
get "http://127.0.0.1:$TP/fhir/Patient?_count=1"
check "--require-token: no Authorization -> 401 OperationOutcome" expect_js "$tmp/body" "'$code:'+b.resourceType" "401:OperationOutcome"
check "--require-token: 401 carries WWW-Authenticate: Bearer" bash -c "grep -qi '^www-authenticate: Bearer' '$tmp/hdr'"
get "http://127.0.0.1:$TP/fhir/Patient?_count=1" -H 'Authorization: Bearer wrong'
check "--require-token: wrong token -> 401" test "$code" = 401
get "http://127.0.0.1:$TP/fhir/Patient?_count=1" -H 'Authorization: Bearer s3cret'
check "--require-token: right token -> 200" test "$code" = 200
get "http://127.0.0.1:$TP/__log"
check "--require-token: /__log shows what was sent" expect_js "$tmp/body" \
  'b.requests.map(r=>String(r.authorization)).join("|")' "null|Bearer wrong|Bearer s3cret"

# --delay-ms does not serialize
start delay "$tmp/delay.out" node medplum-server.mjs --port 0 --delay-ms 500 || exit 1
DP="$(awk '{print $2}' "$tmp/delay.out")"
urls=()
for i in $(seq 1 8); do urls+=("http://127.0.0.1:$DP/fhir/Patient?_count=$i" -o /dev/null); done
t0="$(now_ms)"
codes="$(curl -sS --no-progress-meter -m 30 -Z --parallel-immediate --parallel-max 8 -w '%{http_code}\n' "${urls[@]}" | sort | uniq -c | awk '{print $1"x"$2}')"
delay_total=$(( $(now_ms) - t0 ))
check "--delay-ms 500: 8 parallel requests in ${delay_total} ms (>= 500, < 1000: not serialized)" \
  test "$codes" = "8x200" -a "$delay_total" -ge 500 -a "$delay_total" -lt 1000

# SIGTERM
mp_pid="$(cat "$tmp/delay.pid")"
kill -TERM "$mp_pid"
wait "$mp_pid"
check "SIGTERM -> clean exit 0" test "$?" = 0

# ------------------------------------------------------------------------------------------------
echo "# fault-server"
start fault "$tmp/fault.out" node fault-server.mjs --cert "$tmp/certs" || exit 1
check "ready line format" grep -Eqx 'listening http=[0-9]+ https=[0-9]+ https_wrong_name=[0-9]+ https_untrusted=[0-9]+' "$tmp/fault.out"
read -r _ a b w u <"$tmp/fault.out"
HP="${a#http=}"; SP="${b#https=}"; WP="${w#https_wrong_name=}"; UP="${u#https_untrusted=}"

check "s_client: https chain verifies for 127.0.0.1" bash -c \
  "openssl s_client -connect 127.0.0.1:$SP -CAfile '$c/ca.pem' -verify_return_error -verify_ip 127.0.0.1 </dev/null 2>&1 | grep -q 'Verify return code: 0 (ok)'"
check "s_client: https_wrong_name chain verifies but name check fails" bash -c \
  "openssl s_client -connect 127.0.0.1:$WP -CAfile '$c/ca.pem' -verify_hostname localhost </dev/null 2>&1 | grep -q 'Verify return code: 62 (hostname mismatch)'"
check "s_client: https_untrusted does not chain to ca.pem" bash -c \
  "openssl s_client -connect 127.0.0.1:$UP -CAfile '$c/ca.pem' </dev/null 2>&1 | grep -Eq 'Verify return code: (20|21) '"

get "https://127.0.0.1:$WP/ok/fhir/Patient/p1" --cacert "$c/ca.pem"
check "curl to https_wrong_name fails the hostname check (exit 60)" test "$rc" = 60
get "https://localhost:$WP/ok/fhir/Patient/p1" --cacert "$c/ca.pem"
check "curl to https_wrong_name by 'localhost' fails too (exit 60)" test "$rc" = 60
get "https://127.0.0.1:$UP/ok/fhir/Patient/p1" --cacert "$c/ca.pem"
check "curl to https_untrusted fails verification (exit 60)" test "$rc" = 60
get "https://127.0.0.1:$UP/ok/fhir/Patient/p1" --cacert "$c/untrusted-ca.pem"
check "https_untrusted works with untrusted-ca.pem" test "$code" = 200

for scheme in http https; do
  if [[ $scheme == http ]]; then F="http://127.0.0.1:$HP"; extra=(); else F="https://127.0.0.1:$SP"; extra=(--cacert "$c/ca.pem"); fi
  s="[$scheme]"
  get "$F/ok/fhir/Patient/p1" "${extra[@]}"
  check "$s ok: Patient read" expect_js "$tmp/body" "'$code:'+b.id+':'+b.birthDate+':'+b.gender" "200:p1:1990-01-01:female"
  get "$F/ok/fhir/Observation?patient=p1&category=laboratory" "${extra[@]}"
  check "$s ok: empty searchset" expect_js "$tmp/body" "'$code:'+b.type+':'+b.total+':'+(b.entry===undefined)" "200:searchset:0:true"

  t0="$(now_ms)"; get "$F/slow-400/fhir/Patient/p1" "${extra[@]}"; dt=$(( $(now_ms) - t0 ))
  check "$s slow-400: 200 after ${dt} ms" test "$code" = 200 -a "$dt" -ge 400

  for st in 500 404 401 429 503; do
    get "$F/status-$st/fhir/Observation?patient=p1" "${extra[@]}"
    check "$s status-$st" expect_js "$tmp/body" "'$code:'+b.resourceType+':'+b.issue[0].code" "$st:OperationOutcome:exception"
    if [[ $st == 429 || $st == 503 ]]; then check "$s status-$st has Retry-After: 0" test "$(header Retry-After)" = 0; fi
  done

  get "$F/flaky-503/fhir/Observation?patient=p1" "${extra[@]}"
  check "$s flaky-503: first 503 with Retry-After: 0" test "$code:$(header Retry-After)" = "503:0"
  get "$F/flaky-503/fhir/Observation?patient=p1" "${extra[@]}"
  check "$s flaky-503: then ok" test "$code" = 200
  get "$F/flaky-503/fhir/Observation?patient=p2" "${extra[@]}"
  check "$s flaky-503: another query fails first again" test "$code" = 503

  get "$F/malformed/fhir/Observation?patient=p1" "${extra[@]}"
  check "$s malformed: 200 fhir+json with truncated JSON" \
    test "$code:$(header Content-Type):$(cat "$tmp/body")" = '200:application/fhir+json; charset=utf-8:{"resourceType":"Bundle","type":"searchset","entry":['
  get "$F/html/fhir/Patient/p1" "${extra[@]}"
  check "$s html: 200 text/html" test "$code:$(header Content-Type | cut -d';' -f1):$(cat "$tmp/body")" = "200:text/html:<html>login</html>"

  port="${F##*:}"
  get "$F/next-other-host/fhir/Observation?patient=p1" "${extra[@]}"
  check "$s next-other-host" expect_js "$tmp/body" \
    'b.entry.length+" "+b.link.find(l=>l.relation==="next").url' "1 $scheme://other.example:$port/next-other-host/fhir/Observation?page=2"
  get "$F/next-other-port/fhir/Observation?patient=p1" "${extra[@]}"
  check "$s next-other-port" expect_js "$tmp/body" \
    'b.link.find(l=>l.relation==="next").url' "$scheme://127.0.0.1:1/next-other-port/fhir/Observation?page=2"
  get "$F/next-http-downgrade/fhir/Observation?patient=p1" "${extra[@]}"
  check "$s next-http-downgrade" expect_js "$tmp/body" \
    'b.link.find(l=>l.relation==="next").url' "http://127.0.0.1:$port/next-http-downgrade/fhir/Observation?page=2"

  get "$F/page-loop/fhir/Observation?patient=p1&_count=10" "${extra[@]}"
  check "$s page-loop: next is the requested URL" expect_js "$tmp/body" \
    'b.entry.length+" "+b.link.find(l=>l.relation==="next").url' "1 $F/page-loop/fhir/Observation?patient=p1&_count=10"

  url="$F/pages-4/fhir/Observation?patient=p1&category=laboratory"
  seen=(); n=0
  while [[ -n "$url" && $n -lt 10 ]]; do
    get "$url" "${extra[@]}"
    seen+=("$(jsq "$tmp/body" 'b.entry.map(e=>e.resource.id+"@"+e.resource.subject.reference).join(",")')")
    url="$(jsq "$tmp/body" '((b.link||[]).find(l=>l.relation==="next")||{}).url||""')"
    n=$((n + 1))
  done
  check "$s pages-4: 4 same-origin pages" test "${seen[*]}" = "obs-1@Patient/p1 obs-2@Patient/p1 obs-3@Patient/p1 obs-4@Patient/p1"

  get "$F/oversized-3000000/fhir/Observation?patient=p1" "${extra[@]}"
  size="$(stat -c %s "$tmp/body")"
  check "$s oversized-3000000: $size bytes, Content-Length, valid JSON" \
    test "$code" = 200 -a "$size" -ge 3000000 -a "$(header Content-Length)" = "$size" -a "$(jsq "$tmp/body" 'b.type')" = searchset
  get "$F/oversized-chunked-3000000/fhir/Observation?patient=p1" "${extra[@]}"
  size="$(stat -c %s "$tmp/body")"
  check "$s oversized-chunked-3000000: $size bytes, chunked, valid JSON" \
    test "$code" = 200 -a "$size" -ge 3000000 -a -z "$(header Content-Length)" -a "$(header Transfer-Encoding)" = chunked \
    -a "$(jsq "$tmp/body" 'b.type')" = searchset

  get "$F/redirect/fhir/Patient/p9?x=1" "${extra[@]}"
  check "$s redirect: 302 to /ok/" test "$code:$(header Location)" = "302:$F/ok/fhir/Patient/p9?x=1"
  get "$F/redirect/fhir/Patient/p9" -L "${extra[@]}"
  check "$s redirect: followed lands on ok" expect_js "$tmp/body" "'$code:'+b.id" "200:p9"

  t0="$(now_ms)"; get "$F/hang/fhir/Patient/p1" -m 1 "${extra[@]}"; dt=$(( $(now_ms) - t0 ))
  check "$s hang: no answer (curl timeout, exit $rc after ${dt} ms)" test "$rc" = 28
  get "$F/reset/fhir/Patient/p1" "${extra[@]}"
  check "$s reset: connection reset (curl exit $rc)" test "$rc" = 56 -o "$rc" = 52 -o "$rc" = 35
  get "$F/no-such-mode/fhir/Patient/p1" "${extra[@]}"
  check "$s unknown mode -> 404" test "$code" = 404
done

get "http://127.0.0.1:$HP/__log"
check "/__log lists listener, host and url" expect_js "$tmp/body" \
  'const r = b.requests.find(r => r.listener === "https" && r.url === "/ok/fhir/Patient/p1"); r && r.host + " " + r.method' \
  "127.0.0.1:$SP GET"
check "/__log includes the https_wrong_name request? (no: TLS failed before HTTP)" expect_js "$tmp/body" \
  'b.requests.some(r => r.listener === "https_wrong_name")' "false"
curl -sS -m 5 -X POST "http://127.0.0.1:$HP/__reset-log" >/dev/null
get "http://127.0.0.1:$HP/ok/fhir/Patient/z" -H 'Authorization: Bearer t'
get "https://127.0.0.1:$SP/__log" --cacert "$c/ca.pem"
check "/__reset-log clears; any listener serves /__log" expect_js "$tmp/body" \
  'JSON.stringify(b.requests)' '[{"listener":"http","method":"GET","url":"/ok/fhir/Patient/z","host":"127.0.0.1:'"$HP"'","authorization":"Bearer t"}]'

# ------------------------------------------------------------------------------------------------
echo "# timings: medplum-server start-up ${startup_ms} ms (spawn to ready line);" \
  "search of 200 of 300 Observations (median of 5): ${search_ms} ms"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
