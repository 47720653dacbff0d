#!/usr/bin/env bash
# Every test, tier by tier: set-up if needed, build once, then the unit tier (no SoftHSM, no build), the
# integration tier (real SoftHSM tokens in temp dirs, the built CLI, pdfsig, openssl) and the kill -9 drill
# tier. Prints each tier's wall time, then ends with the plain line "N passed, N failed" counted from
# vitest's JSON reports (a test file whose set-up failed counts as one failure); exits non-zero when any test
# failed or when no test ran.
# Extra arguments go to every vitest run (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent build
export OFFICIANT_BUILT=1
reports=$(mktemp -d -t officiant-vitest-XXXXXX)
trap 'rm -rf "$reports"' EXIT
status=0
for tier in unit integration drills; do
  start=$(date +%s)
  set +e
  npx vitest run --project "$tier" --passWithNoTests --reporter=default --reporter=json --outputFile.json="$reports/$tier.json" "$@"
  code=$?
  set -e
  [ "$code" -eq 0 ] || status=$code
  echo "tier $tier: $(( $(date +%s) - start )) s (exit $code)"
done
# A tier that ran no test fails the run (a broken include pattern must not pass silently), unless a filter
# was given, which may leave a tier empty on purpose.
node -e '
  const fs = require("fs"), path = require("path");
  const filtered = process.argv[2] === "1";
  let passed = 0, failed = 0, empty = false;
  for (const tier of ["unit", "integration", "drills"]) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(process.argv[1], `${tier}.json`), "utf8"));
      passed += r.numPassedTests ?? 0; failed += r.numFailedTests ?? 0;
      // A file whose set-up failed reports its tests as skipped, not failed: it counts as one failure, named.
      for (const f of r.testResults ?? []) {
        if (f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")) {
          failed++;
          console.log(`tier ${tier}: ${path.relative(process.cwd(), f.name)} failed before its tests ran: ${String(f.message ?? "").split("\n")[0]}`);
        }
      }
      if ((r.numTotalTests ?? 0) === 0 && !filtered) { empty = true; console.log(`tier ${tier}: no test ran`); }
    } catch { failed++; console.log(`tier ${tier}: no report`); }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 || empty ? 1 : 0);
' "$reports" "$([ $# -gt 0 ] && echo 1 || echo 0)" || exit 1
exit $status
