#!/usr/bin/env bash
# The README's test command (`npm test`): the system tools the suite needs (scripts/deps.sh test), then the
# typecheck and the whole suite. Extra arguments go to vitest (npm test -- test/core/cli.test.ts).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci || exit 1
deps=0
scripts/deps.sh test || deps=1
status=0
node --import tsx scripts/validators.ts && node node_modules/typescript/bin/tsc -p tsconfig.check.json && node node_modules/vitest/vitest.mjs run "$@" || status=$?
# Said again at the end, where it is seen: the tests that failed for want of these.
[ $deps -eq 0 ] || scripts/deps.sh test --advise || true
exit $status
