#!/usr/bin/env node
import {execute} from '@oclif/core'
import fs from 'node:fs'

// A manifest (written by `npm run build`) would make oclif load dist/ instead of src/.
fs.rmSync(new URL('../oclif.manifest.json', import.meta.url), {force: true})

await execute({development: true, dir: import.meta.url})
