// Counts type assertions (`x as T`, `<T>x`; `as const` excluded) and functions longer than 80 lines in src/
// (generated code excluded). `node --import tsx scripts/code-stats.ts [--files] [--max-lines N]`
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

const args = process.argv.slice(2)
const perFile = args.includes('--files')
const maxIndex = args.indexOf('--max-lines')
const maxLines = maxIndex === -1 ? 80 : Number(args[maxIndex + 1])
const root = path.resolve(import.meta.dirname, '..', 'src')

function sources(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

let casts = 0
const castsByFile: Array<[string, number]> = []
const long: Array<[string, number]> = []
for (const file of sources(root)) {
  const text = fs.readFileSync(file, 'utf8')
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const rel = path.relative(path.dirname(root), file)
  let fileCasts = 0
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      const {type} = node
      const isConst = ts.isTypeReferenceNode(type) && type.typeName.getText(sf) === 'const'
      if (!isConst) fileCasts++
    }

    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line
      const lines = end - start + 1
      if (lines > maxLines) {
        const name = (node as ts.FunctionLikeDeclaration).name?.getText(sf) ?? '(anonymous)'
        long.push([`${rel}:${start + 1} ${name}`, lines])
      }
    }

    ts.forEachChild(node, visit)
  }

  visit(sf)
  casts += fileCasts
  if (fileCasts > 0) castsByFile.push([rel, fileCasts])
}

if (perFile)
  for (const [file, n] of castsByFile.sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(4)}  ${file}`)
for (const [where, lines] of long.sort((a, b) => b[1] - a[1])) console.log(`long function: ${lines} lines  ${where}`)
console.log(`type assertions in src/: ${casts}`)
console.log(`functions over ${maxLines} lines: ${long.length}`)
