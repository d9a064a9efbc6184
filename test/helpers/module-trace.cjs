// Preloaded with NODE_OPTIONS=--require: on exit, writes the CommonJS modules and the Node built-ins the
// process loaded to the file named by MODULE_TRACE_FILE; module-trace-hooks.mjs lists the ES modules beside it.
const fs = require('node:fs')
const Module = require('node:module')
const {pathToFileURL} = require('node:url')

if (process.env.MODULE_TRACE_FILE)
  Module.register(pathToFileURL(require('node:path').join(__dirname, 'module-trace-hooks.mjs')))

process.on('exit', () => {
  const file = process.env.MODULE_TRACE_FILE
  if (!file) return
  const builtins = process.moduleLoadList
    .filter((m) => m.startsWith('NativeModule '))
    .map((m) => m.slice('NativeModule '.length))
  fs.writeFileSync(file, JSON.stringify({modules: Object.keys(Module._cache), builtins}))
})
