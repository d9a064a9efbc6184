/**
 * The few `Reflect` metadata functions tsyringe (used by @peculiar/x509) calls, so the package loads
 * without the `reflect-metadata` polyfill, which is not installed. Import before @peculiar/x509.
 */
type Target = object
const store = new WeakMap<Target, Map<string | symbol | undefined, Map<unknown, unknown>>>()

function table(target: Target, prop: string | symbol | undefined, create: boolean): Map<unknown, unknown> | undefined {
  let byProp = store.get(target)
  if (!byProp) {
    if (!create) return undefined
    byProp = new Map()
    store.set(target, byProp)
  }

  let t = byProp.get(prop)
  if (!t && create) {
    t = new Map()
    byProp.set(prop, t)
  }

  return t
}

const R = Reflect as unknown as Record<string, unknown>
if (typeof R.getMetadata !== 'function') {
  R.defineMetadata = (key: unknown, value: unknown, target: Target, prop?: string | symbol) => {
    table(target, prop, true)!.set(key, value)
  }

  R.getOwnMetadata = (key: unknown, target: Target, prop?: string | symbol) => table(target, prop, false)?.get(key)
  R.getMetadata = (key: unknown, target: Target, prop?: string | symbol): unknown => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t)) {
      const m = table(t, prop, false)
      if (m?.has(key)) return m.get(key)
    }

    return undefined
  }
}

export {}
