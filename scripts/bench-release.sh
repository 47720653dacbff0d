#!/usr/bin/env bash
# Benchmark (not a test): release signing throughput against a bare PKCS#11 loop, staging a 4 GiB artifact
# against openssl, and the test-key scan's cost. Flags pass through: --count, --size, --rounds, --no-zip.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent build
node scripts/bench-release.mjs "$@"
