#!/usr/bin/env bash
# FHIR Bundle -> IbdModel throughput and peak memory: writes the ~2 MB synthetic patient
# (bench/make_patient_bundle.py, fixed seed) to a temporary file and runs bench/model_bench on
# it (see the header of model_bench.cpp for what each line means). A measurement, not a test.
# Knobs: ITERATIONS (50), YEARS of history (10, about 2 MB), CONFIG (config/ibd-cds.yaml),
#        MODEL_BENCH (build/bin/model_bench), KEEP (a path to keep the generated bundle at).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL_BENCH=${MODEL_BENCH:-build/bin/model_bench}
CONFIG=${CONFIG:-config/ibd-cds.yaml}
ITERATIONS=${ITERATIONS:-50}
YEARS=${YEARS:-10}

command -v python3 >/dev/null || { echo "model_bench: python3 is needed to generate the patient" >&2; exit 1; }
[ -x "$MODEL_BENCH" ] || { echo "model_bench: $MODEL_BENCH not built (make build)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bundle=${KEEP:-$work/patient.json}
python3 bench/make_patient_bundle.py --years "$YEARS" --out "$bundle"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM"
"$MODEL_BENCH" --config "$CONFIG" --iterations "$ITERATIONS" "$bundle"
