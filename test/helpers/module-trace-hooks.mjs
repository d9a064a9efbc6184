// Loader hooks registered by module-trace.cjs: appends every ES module file the process loads to
// MODULE_TRACE_FILE.esm (the hooks run on their own thread, so the main thread's exit handler cannot see them).
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

export async function load(url, context, next) {
  const file = process.env.MODULE_TRACE_FILE
  if (file && url.startsWith('file:')) fs.appendFileSync(`${file}.esm`, fileURLToPath(url) + '\n')
  return next(url, context)
}
