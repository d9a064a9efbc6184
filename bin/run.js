#!/usr/bin/env node
import {execute} from '@oclif/core'

// The installed CLI runs the compiled dist/ whatever NODE_ENV it inherits (oclif would load src/*.ts
// through tsx under "test" or "development"); bin/dev.js is the entry for src/.
process.env.NODE_ENV = 'production'

// A full disk or closed pipe on stdout: one line or a quiet end, not a stack trace (also for --help).
const {guardStdout} = await import('../dist/stdout-guard.js')
guardStdout()
await execute({dir: import.meta.url})
