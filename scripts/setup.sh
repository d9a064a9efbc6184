#!/usr/bin/env bash
# The README's setup command: Node.js 20.18 or newer, the build tools better-sqlite3 may need
# (scripts/deps.sh setup), then exactly what the lockfile says (npm ci, which also builds dist/).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)' 2>/dev/null; then
  echo "watchkeeper: Node.js 20.18 or newer is needed (found $(node --version 2>/dev/null || echo none)). Install it from https://nodejs.org/ or your package manager, then run scripts/setup.sh again." >&2
  exit 1
fi
deps=0
scripts/deps.sh setup || deps=1
if ! npm ci; then
  [ $deps -eq 0 ] || scripts/deps.sh setup --advise || true
  exit 1
fi
