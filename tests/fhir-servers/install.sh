#!/usr/bin/env bash
# Installs the npm packages of the test FHIR servers (pinned in package-lock.json).
# Idempotent: runs `npm ci` only when node_modules is missing or older than package-lock.json.
# Safe to call from several tests at once (flock on this script).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1; then
  echo "tests/fhir-servers/install.sh: node not found; Node.js 20 or newer is required" >&2
  exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [[ ! "$major" =~ ^[0-9]+$ ]] || (( major < 20 )); then
  echo "tests/fhir-servers/install.sh: Node.js $(node --version 2>/dev/null || echo '?') found; 20 or newer is required" >&2
  exit 1
fi
minor="$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)"
if (( major == 20 && minor < 19 )) || (( major == 21 )) || (( major == 22 && minor < 12 )); then
  echo "tests/fhir-servers/install.sh: warning: Medplum 4.5.2 declares node ^20.19.0 || >=22.12.0; found $(node --version)" >&2
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/fhir-servers/install.sh: npm not found (install it with Node.js 20+)" >&2
  exit 1
fi

stamp="node_modules/.ibd-cds-installed"
needs_install() {
  [[ ! -d node_modules || ! -f "$stamp" || package-lock.json -nt "$stamp" ]]
}

if ! needs_install; then
  exit 0
fi

exec 9<"$here/install.sh"
flock 9
if needs_install; then   # another caller may have finished while we waited
  echo "tests/fhir-servers: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
