import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The package's root folder (holds checks/, playbooks/, schemas/), from src/ or dist/ alike. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export const SHIPPED_CHECKS = path.join(PACKAGE_ROOT, 'checks')
export const SHIPPED_PLAYBOOKS = path.join(PACKAGE_ROOT, 'playbooks')
export const SHIPPED_CLOCKS = path.join(PACKAGE_ROOT, 'clocks')
