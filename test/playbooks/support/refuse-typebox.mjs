// Preloaded with --import: any import of TypeBox in the process fails, so a command that runs proves it never loads it.
import {register} from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@sinclair/typebox')) throw new Error('TypeBox loaded: ' + specifier + ' from ' + context.parentURL)
  return next(specifier, context)
}`),
)
