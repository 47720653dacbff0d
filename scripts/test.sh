#!/usr/bin/env bash
# Every test: set-up if needed, build, then vitest (real SoftHSM tokens in temp dirs, real pdfsig/openssl).
# Ends with the plain line "N passed, N failed" counted from vitest's JSON report; exits non-zero when any
# test failed or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent build
report=$(mktemp -t officiant-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e
node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 passed, 0 failed"); process.exit(1); }
  const passed = r.numPassedTests ?? 0, failed = r.numFailedTests ?? 0;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
' "$report" || exit 1
exit $status
