/** Small value helpers of the playbook wing: answers to typed values, `${var}` in text, arguments shown plainly. */
import type {Value, VariableDef} from './model.js'

/** Coerces an answer to a variable's type. */
export function coerce(
  def: VariableDef | undefined,
  answer: string,
): {ok: true; value: Value} | {ok: false; message: string} {
  const text = answer.trim()
  if (def?.values && !def.values.includes(text)) return {ok: false, message: `expected one of ${def.values.join(', ')}`}
  switch (def?.type) {
    case 'bool': {
      if (/^(y|yes|true)$/i.test(text)) return {ok: true, value: true}
      if (/^(n|no|false)$/i.test(text)) return {ok: true, value: false}
      return {ok: false, message: 'expected yes or no'}
    }

    case 'integer': {
      return /^-?\d+$/.test(text) ? {ok: true, value: Number(text)} : {ok: false, message: 'expected a whole number'}
    }

    case 'number': {
      return text !== '' && Number.isFinite(Number(text))
        ? {ok: true, value: Number(text)}
        : {ok: false, message: 'expected a number'}
    }

    default: {
      return {ok: true, value: text}
    }
  }
}

/** `${name}` in a command argument, from the walk's variables; unset ones stay empty. */
export function interpolate(arg: string, vars: Record<string, Value>): string {
  return arg.replaceAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) =>
    vars[n] === undefined ? '' : String(vars[n]),
  )
}

/** Shows an argument unambiguously (quoted when it has spaces or quotes). */
export function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`
}

/** A value of an event's data as text: empty when absent, JSON when not a string. */
export function str(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v)
}

/** A value of an event's data as a list of strings (empty when it is not one). */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str) : []
}

/** A value of an event's data as a mapping (empty when it is not one). */
export function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : {}
}

/** A value of an event's data as a list of mappings. */
export function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(record) : []
}
