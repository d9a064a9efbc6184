import type Database from 'better-sqlite3'

import type {DB} from './db.js'

/** Rows per statement: 100 rows of up to 9 values stays under SQLite's oldest limit of 999 parameters. */
export const ROWS_PER_STATEMENT = 100

const cache = new WeakMap<DB, Map<string, Database.Statement<unknown[], unknown>>>()

/** `head VALUES (?, …), … tail` for `rows` rows of `width` values, prepared once per connection. */
function statement<Row>(
  db: DB,
  head: string,
  width: number,
  rows: number,
  tail: string,
): Database.Statement<unknown[], Row> {
  let byKey = cache.get(db)
  if (!byKey) cache.set(db, (byKey = new Map()))
  const key = `${rows}\u0000${head}\u0000${tail}`
  let s = byKey.get(key)
  if (!s) {
    const tuple = `(${Array.from({length: width}, () => '?').join(', ')})`
    s = db.prepare<unknown[], unknown>(`${head} VALUES ${Array.from({length: rows}, () => tuple).join(', ')} ${tail}`)
    byKey.set(key, s)
  }

  return s as Database.Statement<unknown[], Row>
}

/**
 * Writes `items` with one multi-row statement per ROWS_PER_STATEMENT of them: `values` lists an item's
 * `width` values; with a RETURNING `tail`, `each` receives every row it gives back.
 */
export function writeRows<T, Row = never>(
  db: DB,
  sql: {head: string; width: number; tail?: string},
  items: readonly T[],
  values: (item: T) => readonly unknown[],
  each?: (row: Row) => void,
): void {
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) {
    const n = Math.min(ROWS_PER_STATEMENT, items.length - i)
    const args: unknown[] = []
    for (let k = i; k < i + n; k++) {
      const v = values(items[k])
      if (v.length !== sql.width) throw new Error(`expected ${sql.width} values, got ${v.length}`)
      for (const x of v) args.push(x)
    }

    const s = statement<Row>(db, sql.head, sql.width, n, sql.tail ?? '')
    if (each) for (const row of s.all(args)) each(row)
    else s.run(args)
  }
}
