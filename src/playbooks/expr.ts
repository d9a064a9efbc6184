/**
 * The condition language of playbooks, parsed here by a tokenizer and a recursive-descent parser (no eval):
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | compare
 *   compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "not"? "in" list)?
 *   operand := string | number | true | false | name | "(" expr ")"
 *   list    := "[" (literal ("," literal)*)? "]"
 * The tree is at most MAX_EXPR_DEPTH deep (parentheses, `not` and chained `and`/`or` each add a level),
 * so neither the parser nor the evaluator can run out of stack on a hostile condition.
 */
import type {Value} from './model.js'

export class ExprError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message)
    this.name = 'ExprError'
  }
}

type Token =
  | {kind: 'str' | 'num' | 'name' | 'op' | 'punct'; text: string; value?: Value; at: number}
  | {kind: 'eof'; text: ''; at: number}

export type Expr =
  | {kind: 'lit'; value: Value}
  | {kind: 'var'; name: string}
  | {kind: 'not'; arg: Expr}
  | {kind: 'and' | 'or'; left: Expr; right: Expr}
  | {kind: 'cmp'; op: '==' | '!=' | '<' | '<=' | '>' | '>='; left: Expr; right: Expr}
  | {kind: 'in'; negate: boolean; arg: Expr; list: Value[]}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false'])

export const MAX_EXPR_DEPTH = 100

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    const at = i
    if (c === '"' || c === "'") {
      let text = ''
      i++
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++
        text += src[i++]
      }
      if (i >= src.length) throw new ExprError('unterminated string', at)
      i++
      out.push({kind: 'str', text, value: text, at})
      continue
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i))
    if (num && (c !== '-' || out.length === 0 || out.at(-1)?.kind === 'op' || out.at(-1)?.text === '(' || out.at(-1)?.text === '[' || out.at(-1)?.text === ',')) {
      out.push({kind: 'num', text: num[0], value: Number(num[0]), at})
      i += num[0].length
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))
    if (word) {
      out.push({kind: 'name', text: word[0], at})
      i += word[0].length
      continue
    }
    const op = /^(==|!=|<=|>=|<|>)/.exec(src.slice(i))
    if (op) {
      out.push({kind: 'op', text: op[0], at})
      i += op[0].length
      continue
    }
    if ('()[],'.includes(c)) {
      out.push({kind: 'punct', text: c, at})
      i++
      continue
    }
    if (c === '=') throw new ExprError('"=" is not an operator; use "==" to compare', at)
    throw new ExprError(`unexpected character "${c}"`, at)
  }
  out.push({kind: 'eof', text: '', at: src.length})
  return out
}

/** Parses a condition; throws ExprError with the offset of the first problem. */
export function parseExpr(src: string): Expr {
  const tokens = tokenize(src)
  let pos = 0
  // Depth of each node built, and of the parser's own nesting.
  const depths = new WeakMap<Expr, number>()
  let nesting = 0
  const depthOf = (e: Expr) => depths.get(e) ?? 1
  const node = (e: Expr, at: number, ...children: Expr[]): Expr => {
    const d = 1 + Math.max(0, ...children.map(depthOf))
    if (d > MAX_EXPR_DEPTH) throw new ExprError(`nested more than ${MAX_EXPR_DEPTH} levels deep; split the condition across steps`, at)
    depths.set(e, d)
    return e
  }
  const enter = (at: number) => {
    if (++nesting > MAX_EXPR_DEPTH) throw new ExprError(`nested more than ${MAX_EXPR_DEPTH} levels deep; split the condition across steps`, at)
  }
  const peek = () => tokens[pos]
  const isWord = (w: string) => peek().kind === 'name' && peek().text === w
  const expect = (text: string) => {
    if (peek().text !== text || peek().kind === 'str') throw new ExprError(`expected "${text}" but found ${describe(peek())}`, peek().at)
    pos++
  }
  const describe = (t: Token) => (t.kind === 'eof' ? 'the end' : `"${t.text}"`)

  const literal = (): Value => {
    const t = peek()
    if (t.kind === 'str' || t.kind === 'num') {
      pos++
      return t.value as Value
    }
    if (t.kind === 'name' && (t.text === 'true' || t.text === 'false')) {
      pos++
      return t.text === 'true'
    }
    throw new ExprError(`expected a string, number, true or false but found ${describe(t)}`, t.at)
  }
  const operand = (): Expr => {
    const t = peek()
    if (t.kind === 'punct' && t.text === '(') {
      enter(t.at)
      pos++
      const e = orExpr()
      expect(')')
      nesting--
      return e
    }
    if (t.kind === 'name' && !KEYWORDS.has(t.text)) {
      pos++
      return {kind: 'var', name: t.text}
    }
    return {kind: 'lit', value: literal()}
  }
  const list = (): Value[] => {
    expect('[')
    const values: Value[] = []
    if (peek().text !== ']') {
      values.push(literal())
      while (peek().text === ',') {
        pos++
        values.push(literal())
      }
    }
    expect(']')
    return values
  }
  const compare = (): Expr => {
    const left = operand()
    const t = peek()
    if (t.kind === 'op') {
      pos++
      const right = operand()
      return node({kind: 'cmp', op: t.text as '==', left, right}, t.at, left, right)
    }
    if (isWord('in')) {
      pos++
      return node({kind: 'in', negate: false, arg: left, list: list()}, t.at, left)
    }
    if (isWord('not') && tokens[pos + 1]?.kind === 'name' && tokens[pos + 1].text === 'in') {
      pos += 2
      return node({kind: 'in', negate: true, arg: left, list: list()}, t.at, left)
    }
    return left
  }
  const unary = (): Expr => {
    if (isWord('not')) {
      const at = peek().at
      enter(at)
      pos++
      const arg = unary()
      nesting--
      return node({kind: 'not', arg}, at, arg)
    }
    return compare()
  }
  const andExpr = (): Expr => {
    let left = unary()
    while (isWord('and')) {
      const at = peek().at
      pos++
      const right = unary()
      left = node({kind: 'and', left, right}, at, left, right)
    }
    return left
  }
  function orExpr(): Expr {
    let left = andExpr()
    while (isWord('or')) {
      const at = peek().at
      pos++
      const right = andExpr()
      left = node({kind: 'or', left, right}, at, left, right)
    }
    return left
  }
  if (peek().kind === 'eof') throw new ExprError('empty condition', 0)
  const e = orExpr()
  if (peek().kind !== 'eof') throw new ExprError(`unexpected ${describe(peek())}`, peek().at)
  return e
}

/** Variable names a condition reads. */
export function variablesOf(e: Expr): string[] {
  switch (e.kind) {
    case 'var': return [e.name]
    case 'lit': return []
    case 'not': return variablesOf(e.arg)
    case 'in': return variablesOf(e.arg)
    default: return [...variablesOf(e.left), ...variablesOf(e.right)]
  }
}

export type Vars = Readonly<Record<string, Value | undefined>>

/** Own variables only: `constructor` or `__proto__` are never reached through the prototype. */
function lookup(vars: Vars, name: string): Value | undefined {
  return Object.hasOwn(vars, name) ? vars[name] : undefined
}

function truthy(v: Value | undefined): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (v === undefined) return false
  return v !== '' && !['false', 'no', '0'].includes(v.toLowerCase())
}

function value(e: Expr, vars: Vars): Value | undefined {
  switch (e.kind) {
    case 'lit': return e.value
    case 'var': return lookup(vars, e.name)
    default: return evaluate(e, vars)
  }
}

function asBool(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v
  const t = String(v).toLowerCase()
  return t === 'true' || t === 'yes' ? true : t === 'false' || t === 'no' ? false : undefined
}

function equal(a: Value | undefined, b: Value | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = asBool(a)
    return x !== undefined && x === asBool(b)
  }
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b)
  return a === b
}

function order(a: Value | undefined, b: Value | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined
  const na = Number(a)
  const nb = Number(b)
  if (typeof a !== 'boolean' && typeof b !== 'boolean' && !Number.isNaN(na) && !Number.isNaN(nb) && String(a).trim() !== '' && String(b).trim() !== '') return na - nb
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  return undefined
}

/** Evaluates a condition over variables. An unset variable equals nothing and orders before nothing. */
export function evaluate(e: Expr, vars: Vars): boolean {
  switch (e.kind) {
    case 'lit': return truthy(e.value)
    case 'var': return truthy(lookup(vars, e.name))
    case 'not': return !evaluate(e.arg, vars)
    case 'and': return evaluate(e.left, vars) && evaluate(e.right, vars)
    case 'or': return evaluate(e.left, vars) || evaluate(e.right, vars)
    case 'in': {
      const v = value(e.arg, vars)
      const found = e.list.some((x) => equal(v, x))
      return e.negate ? !found : found
    }
    case 'cmp': {
      const a = value(e.left, vars)
      const b = value(e.right, vars)
      if (e.op === '==') return equal(a, b)
      if (e.op === '!=') return !equal(a, b)
      const o = order(a, b)
      if (o === undefined) return false
      return e.op === '<' ? o < 0 : e.op === '<=' ? o <= 0 : e.op === '>' ? o > 0 : o >= 0
    }
  }
}

/** Parses and evaluates in one go. */
export function test(condition: string, vars: Vars): boolean {
  return evaluate(parseExpr(condition), vars)
}
