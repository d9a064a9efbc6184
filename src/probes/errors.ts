/** The string property `key` of a thrown value, when it has one (Node errors carry `code`, `hostname`…). */
export function errorField(error: unknown, key: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined
  const value: unknown = Reflect.get(error, key)
  return typeof value === 'string' ? value : undefined
}

/** A thrown value's message, or the value itself as text. */
export function errorMessage(error: unknown): string {
  return errorField(error, 'message') ?? String(error)
}
