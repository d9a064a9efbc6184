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
  constructor(
    message: string,
    readonly offset: number,
  ) {
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
    if (
      num &&
      (c !== '-' ||
        out.length === 0 ||
        out.at(-1)?.kind === 'op' ||
        out.at(-1)?.text === '(' ||
        out.at(-1)?.text === '[' ||
        out.at(-1)?.text === ',')
    ) {
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

const TOO_DEEP = `nested more than ${MAX_EXPR_DEPTH} levels deep; split the condition across steps`

const describeToken = (t: Token) => (t.kind === 'eof' ? 'the end' : `"${t.text}"`)

/** The recursive-descent parser over a condition's tokens, one method per rule of the grammar above. */
class Parser {
  private pos = 0
  /** Depth of each node built, and the parser's own nesting. */
  private readonly depths = new WeakMap<Expr, number>()
  private nesting = 0

  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    if (this.peek().kind === 'eof') throw new ExprError('empty condition', 0)
    const e = this.or()
    if (this.peek().kind !== 'eof') throw new ExprError(`unexpected ${describeToken(this.peek())}`, this.peek().at)
    return e
  }

  private peek(): Token {
    return this.tokens[this.pos]
  }

  private isWord(w: string, t = this.peek()): boolean {
    return t?.kind === 'name' && t.text === w
  }

  private expect(text: string): void {
    const t = this.peek()
    if (t.text !== text || t.kind === 'str')
      throw new ExprError(`expected "${text}" but found ${describeToken(t)}`, t.at)
    this.pos++
  }

  private node(e: Expr, at: number, ...children: Expr[]): Expr {
    const d = 1 + Math.max(0, ...children.map((c) => this.depths.get(c) ?? 1))
    if (d > MAX_EXPR_DEPTH) throw new ExprError(TOO_DEEP, at)
    this.depths.set(e, d)
    return e
  }

  /** Runs a nested rule, refusing nesting deeper than MAX_EXPR_DEPTH. */
  private nested<T>(at: number, rule: () => T): T {
    if (++this.nesting > MAX_EXPR_DEPTH) throw new ExprError(TOO_DEEP, at)
    const out = rule()
    this.nesting--
    return out
  }

  private literal(): Value {
    const t = this.peek()
    if ((t.kind === 'str' || t.kind === 'num') && t.value !== undefined) {
      this.pos++
      return t.value
    }

    if (this.isWord('true') || this.isWord('false')) {
      this.pos++
      return t.text === 'true'
    }

    throw new ExprError(`expected a string, number, true or false but found ${describeToken(t)}`, t.at)
  }

  private operand(): Expr {
    const t = this.peek()
    if (t.kind === 'punct' && t.text === '(') {
      return this.nested(t.at, () => {
        this.pos++
        const e = this.or()
        this.expect(')')
        return e
      })
    }

    if (t.kind === 'name' && !KEYWORDS.has(t.text)) {
      this.pos++
      return {kind: 'var', name: t.text}
    }

    return {kind: 'lit', value: this.literal()}
  }

  private list(): Value[] {
    this.expect('[')
    const values: Value[] = []
    if (this.peek().text !== ']') {
      values.push(this.literal())
      while (this.peek().text === ',') {
        this.pos++
        values.push(this.literal())
      }
    }

    this.expect(']')
    return values
  }

  private compare(): Expr {
    const left = this.operand()
    const t = this.peek()
    if (t.kind === 'op' && isCompareOp(t.text)) {
      this.pos++
      const right = this.operand()
      return this.node({kind: 'cmp', op: t.text, left, right}, t.at, left, right)
    }

    if (this.isWord('in')) {
      this.pos++
      return this.node({kind: 'in', negate: false, arg: left, list: this.list()}, t.at, left)
    }

    if (this.isWord('not') && this.isWord('in', this.tokens[this.pos + 1])) {
      this.pos += 2
      return this.node({kind: 'in', negate: true, arg: left, list: this.list()}, t.at, left)
    }

    return left
  }

  private unary(): Expr {
    if (!this.isWord('not')) return this.compare()
    const {at} = this.peek()
    const arg = this.nested(at, () => {
      this.pos++
      return this.unary()
    })
    return this.node({kind: 'not', arg}, at, arg)
  }

  /** One level of `and` or `or`: operands joined by the word, left to right. */
  private chain(word: 'and' | 'or', operand: () => Expr): Expr {
    let left = operand()
    while (this.isWord(word)) {
      const {at} = this.peek()
      this.pos++
      const right = operand()
      left = this.node({kind: word, left, right}, at, left, right)
    }

    return left
  }

  private or(): Expr {
    return this.chain('or', () => this.chain('and', () => this.unary()))
  }
}

type CompareOp = Extract<Expr, {kind: 'cmp'}>['op']
const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>='])
const isCompareOp = (op: string): op is CompareOp => COMPARE_OPS.has(op)

/** Parses a condition; throws ExprError with the offset of the first problem. */
export function parseExpr(src: string): Expr {
  return new Parser(tokenize(src)).parse()
}

/** Variable names a condition reads. */
export function variablesOf(e: Expr): string[] {
  switch (e.kind) {
    case 'var': {
      return [e.name]
    }

    case 'lit': {
      return []
    }

    case 'not': {
      return variablesOf(e.arg)
    }

    case 'in': {
      return variablesOf(e.arg)
    }

    default: {
      return [...variablesOf(e.left), ...variablesOf(e.right)]
    }
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
    case 'lit': {
      return e.value
    }

    case 'var': {
      return lookup(vars, e.name)
    }

    default: {
      return evaluate(e, vars)
    }
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
  if (
    typeof a !== 'boolean' &&
    typeof b !== 'boolean' &&
    !Number.isNaN(na) &&
    !Number.isNaN(nb) &&
    String(a).trim() !== '' &&
    String(b).trim() !== ''
  )
    return na - nb
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  return undefined
}

/** Evaluates a condition over variables. An unset variable equals nothing and orders before nothing. */
export function evaluate(e: Expr, vars: Vars): boolean {
  switch (e.kind) {
    case 'lit': {
      return truthy(e.value)
    }

    case 'var': {
      return truthy(lookup(vars, e.name))
    }

    case 'not': {
      return !evaluate(e.arg, vars)
    }

    case 'and': {
      return evaluate(e.left, vars) && evaluate(e.right, vars)
    }

    case 'or': {
      return evaluate(e.left, vars) || evaluate(e.right, vars)
    }

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
