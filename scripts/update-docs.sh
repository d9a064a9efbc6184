#!/usr/bin/env bash
# Regenerates the published schemas, the README's finding table and notifier list from the source.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
./bin/run.js check schema > schemas/checks.schema.json
./bin/run.js playbook schema > schemas/playbook.schema.json
./bin/run.js clock schema > schemas/clocks.schema.json
./bin/run.js exercise schema > schemas/exercise.schema.json
node scripts/status-api-openapi.mjs > schemas/status-api.openapi.json
node --import tsx scripts/notifier-docs.ts
table=$(./bin/run.js check findings --markdown)
python3 - "$table" <<'PY'
import re, sys
p = 'README.md'
s = open(p).read()
s = re.sub(r'<!-- findings:start -->\n.*?<!-- findings:end -->', lambda m: '<!-- findings:start -->\n' + sys.argv[1] + '\n<!-- findings:end -->', s, flags=re.S)
open(p, 'w').write(s)
PY
