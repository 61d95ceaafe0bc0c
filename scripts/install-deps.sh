#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and benchmark.
# Idempotent: installs only what is missing; uses sudo when not root.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake make pkg-config ccache
  libboost1.81-dev libboost-url1.81-dev
  rapidjson-dev libcpp-jwt-dev libssl-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  googletest libgtest-dev libgmock-dev
  wrk curl ca-certificates openssl util-linux python3
  clang-19 libclang-rt-19-dev  # make fuzz: libFuzzer, and clang >= 19 for libstdc++'s <expected>
  # Storage: SQLite (embedded, the default) and PostgreSQL (libpq); the PostgreSQL tests start
  # a throw-away server from the postgresql package (tests/pg/pg-cluster.sh).
  libsqlite3-dev sqlite3 libpq-dev postgresql
)
# The integration tests run test FHIR servers on Node >= 20 (tests/fhir-servers; their npm
# packages are installed by tests/fhir-servers/install.sh). Debian 12's own nodejs is 18, so
# a Node the machine already has is kept; only a machine with none gets Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
