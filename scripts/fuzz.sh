#!/usr/bin/env bash
# The larger fuzz run: every parser fuzz test of the unit tier with more mutated inputs (default 200,000 each)
# and a seed of your choice, e.g. `FUZZ_SEED=7 ./scripts/fuzz.sh 50000`. A failure prints the run number and
# the input, reproducible with the same FUZZ_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_RUNS="${1:-200000}"
export FUZZ_SEED="${FUZZ_SEED:-$(date +%s)}"
echo "fuzz: FUZZ_RUNS=$FUZZ_RUNS FUZZ_SEED=$FUZZ_SEED"
exec npx vitest run --project unit --testTimeout=0 test/unit/inputs/fuzz-inputs.test.ts test/unit/inputs/fuzz-documents.test.ts test/unit/evidence/verify/fuzz-packet.test.ts test/unit/custody/ota-manifest.test.ts
