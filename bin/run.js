#!/usr/bin/env node
import {execute} from '@oclif/core'

// The installed CLI runs the compiled dist/ whatever NODE_ENV it inherits (oclif would load src/*.ts
// through tsx under "test" or "development"); bin/dev.js is the entry for src/.
process.env.NODE_ENV = 'production'

await execute({dir: import.meta.url})
