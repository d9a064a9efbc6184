#!/usr/bin/env bash
# The README's test command (`npm test`): the system tools the suite needs (scripts/deps.sh test), then the
# linter and formatter check, the typecheck and the whole suite. Extra arguments go to vitest
# (npm test -- test/core/cli.test.ts), which then skips the lint and format checks.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci || exit 1
deps=0
scripts/deps.sh test || deps=1
status=0
if [ $# -eq 0 ]; then
  # The whole tree: lint (oclif's eslint configuration) and layout (prettier). A failure fails the command,
  # but the tests still run, so one run shows everything.
  node node_modules/eslint/bin/eslint.js . || status=1
  node node_modules/prettier/bin/prettier.cjs --check . --log-level warn || status=1
fi
node --import tsx scripts/validators.ts && node node_modules/typescript/bin/tsc -p tsconfig.check.json && node node_modules/vitest/vitest.mjs run "$@" || status=$?
# Said again at the end, where it is seen: the tests that failed for want of these.
[ $deps -eq 0 ] || scripts/deps.sh test --advise || true
exit $status
