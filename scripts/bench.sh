#!/usr/bin/env bash
# Benchmark (not a test): rehearsal time, time per evidence page, CLI start-up against node -e 0.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent build
node scripts/bench.mjs "$@"
