// Runs the MDN HTTP Observatory's own retriever, tests and grader against host:ports and prints JSON.
// Usage: NODE_EXTRA_CA_CERTS=ca.pem node observatory-scan.mjs HOST HTTP_PORT HTTPS_PORT
// (Released scan() in 1.4.8 drops its options; this is scanner/index.js with the ports passed through.)
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules/@mdn/mdn-http-observatory')
// The package's install script downloads the HSTS preload list; offline it is absent. An empty list is
// also what watchkeeper uses (docs/posture.md, deviation 1).
const preload = path.join(root, 'conf/hsts-preload.json')
if (!fs.existsSync(preload)) fs.writeFileSync(preload, '{}')

const {retrieve} = await import(path.join(root, 'src/retriever/retriever.js'))
const {ALL_TESTS} = await import(path.join(root, 'src/constants.js'))
const {getGradeForScore, getScoreModifier} = await import(path.join(root, 'src/grader/grader.js'))
const {MINIMUM_SCORE_FOR_EXTRA_CREDIT} = await import(path.join(root, 'src/grader/charts.js'))

const [host, httpPort, httpsPort] = process.argv.slice(2)
const r = await retrieve(host, {httpPort: Number(httpPort), httpsPort: Number(httpsPort)})
if (!r.responses.auto) {
  console.log(JSON.stringify({error: 'site down'}))
  process.exit(0)
}

let withExtra = 100
let uncurved = 100
const tests = {}
for (const test of ALL_TESTS) {
  const out = test(r)
  const modifier = getScoreModifier(out.result)
  withExtra += modifier
  if (modifier < 0) uncurved += modifier
  tests[out.constructor.name] = {result: out.result, modifier, pass: out.pass}
}

const score = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtra : uncurved
const g = getGradeForScore(score)
console.log(JSON.stringify({score: g.score, grade: g.grade, status: r.responses.auto.status, tests}))
