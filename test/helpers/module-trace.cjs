// Preloaded with NODE_OPTIONS=--require: on exit, writes the CommonJS modules (every npm dependency here
// but chalk is CommonJS) and the Node built-ins the process loaded to the file named by MODULE_TRACE_FILE.
const fs = require('node:fs')
const Module = require('node:module')

process.on('exit', () => {
  const file = process.env.MODULE_TRACE_FILE
  if (!file) return
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length))
  fs.writeFileSync(file, JSON.stringify({modules: Object.keys(Module._cache), builtins}))
})
