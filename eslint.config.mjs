import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {includeIgnoreFile} from '@eslint/compat'
import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier'

const gitignore = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '.gitignore')

// oclif's configuration, with prettier owning layout. The rules turned off below either change behaviour
// when auto-fixed or contradict what this code deliberately does; each says why.
export default [
  includeIgnoreFile(gitignore),
  ...oclif,
  prettier,
  {
    rules: {
      // Key and member order is meaningful here: JSON output fields, schema properties as `check schema`
      // and the docs show them, table columns, switch cases in the order a reader follows.
      'perfectionist/sort-array-includes': 'off',
      'perfectionist/sort-classes': 'off',
      'perfectionist/sort-interfaces': 'off',
      'perfectionist/sort-object-types': 'off',
      'perfectionist/sort-objects': 'off',
      'perfectionist/sort-sets': 'off',
      'perfectionist/sort-switch-case': 'off',
      'perfectionist/sort-union-types': 'off',
      // A side-effect import (the reflect polyfill @peculiar/x509 needs) must stay above what needs it: groups
      // separated by a blank line are sorted each on its own.
      'perfectionist/sort-imports': ['error', {type: 'natural', partitionByNewLine: true, newlinesBetween: 'ignore'}],
      // YAML keys, SQL columns and wire formats (Slack, PagerDuty, Alertmanager) are snake_case.
      camelcase: 'off',
      // Result blocks and DNS/TLS parsing pack and read bits.
      'no-bitwise': 'off',
      // Retries, rate limits, ordered DNS walks and playbook steps are sequential on purpose.
      'no-await-in-loop': 'off',
      // `${env:NAME}` and `${var}` are literal syntax of the YAML files, not template mistakes.
      'no-template-curly-in-string': 'off',
      // Terminal-text sanitising and the block text separator match control characters on purpose.
      'no-control-regex': 'off',
      // JSON Schema's if/then is a `then` key.
      'unicorn/no-thenable': 'off',
      // `await new Promise((resolve) => setTimeout(resolve, ms))` and friends.
      'no-promise-executor-return': 'off',
      'unicorn/no-array-callback-reference': 'off',
      'unicorn/no-array-reduce': 'off',
      'unicorn/prefer-structured-clone': 'off',
      'no-void': 'off',
      // Auto-fixes that lose types here: `.at(-1)` is T | undefined where the index read is T,
      // `.filter(Boolean)` drops a type guard, `Array.from({length})` loses the element type, removing an
      // `undefined` argument or return breaks a declared signature, and merging a type import with a value
      // import of the same module writes `import type {type X}`.
      'unicorn/prefer-at': 'off',
      'unicorn/prefer-native-coercion-functions': 'off',
      'unicorn/no-new-array': 'off',
      'unicorn/no-useless-undefined': 'off',
      'import/no-duplicates': 'off',
      // Small helpers are kept next to their one caller; `(x) => (total += x)` is a deliberate idiom.
      'unicorn/consistent-function-scoping': 'off',
      'no-return-assign': 'off',
      // Byte and DNS label code reads UTF-16 code units on purpose.
      'unicorn/prefer-code-point': 'off',
      // Size is held by scripts/code-stats.ts (functions over 80 lines) and review, not by these counts.
      complexity: 'off',
      'max-depth': 'off',
      'max-params': 'off',
      // The tests use vitest, not mocha.
      'mocha/max-top-level-suites': 'off',
      'mocha/no-top-level-hooks': 'off',
      'mocha/no-setup-in-describe': 'off',
      'mocha/no-exports': 'off',
      'mocha/no-nested-tests': 'off',
      'mocha/consistent-spacing-between-blocks': 'off',
      'mocha/no-sibling-hooks': 'off',
      'mocha/no-empty-description': 'off',
      'max-nested-callbacks': 'off',
      // TypeBox's builders (Type.Object, Type.String) are capitalised functions, not constructors.
      'new-cap': ['error', {capIsNew: false}],
      // TypeScript checks undefined names, with the right globals for each file (typescript-eslint's advice).
      'no-undef': 'off',
      // A leading underscore marks a value dropped on purpose (`const {secret: _secret, ...rest} = x`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // One push per rendered line keeps the code in the order of the output it writes.
      'unicorn/no-array-push-push': 'off',
      // Braces scope the consts of one scoring section each in the posture probes.
      'no-lone-blocks': 'off',
      // prom-client registers a metric in its constructor.
      'no-new': 'off',
      // `const x = (cache ??= load())` fills a cache and reads it in one step.
      'no-multi-assign': 'off',
      // `ok && record(...)` as a statement in the validators' walks.
      '@typescript-eslint/no-unused-expressions': ['error', {allowShortCircuit: true, allowTernary: true}],
      // It takes the watch's own `every(ms, fn)` timer method for Array#every.
      'unicorn/no-array-method-this-argument': 'off',
      // `.some((x) => x === v)` narrows a string to a literal union where `.includes(v)` does not compile.
      'unicorn/prefer-includes': 'off',
      // Charset and encoding names are compared as they arrive on the wire (`charset=utf-8`).
      'unicorn/text-encoding-identifier-case': 'off',
      // `| 0` wraps to 32 bits in the seeded generators; Math.trunc does not.
      'unicorn/prefer-math-trunc': 'off',
    },
  },
  {
    // CommonJS preload hooks for the module trace tests.
    files: ['**/*.cjs'],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      'unicorn/prefer-module': 'off',
    },
  },
  {
    // Benches, scripts and tests run on the machines' Node 20.20, which has fetch and import.meta.dirname.
    files: ['bench/**', 'scripts/**', 'test/**'],
    rules: {
      'n/no-unsupported-features/node-builtins': 'off',
      'n/no-process-exit': 'off',
      'unicorn/no-process-exit': 'off',
      // Polling loops wait on a flag that a callback sets.
      'no-unmodified-loop-condition': 'off',
      // Test fixtures: small literal defaults and vitest's CommonJS globals.
      'unicorn/no-object-as-default-parameter': 'off',
      'unicorn/prefer-module': 'off',
      'unicorn/prefer-switch': 'off',
      'unicorn/import-style': 'off',
      'unicorn/no-unreadable-array-destructuring': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      'no-sequences': 'off',
      'no-implicit-coercion': 'off',
      'no-unsafe-optional-chaining': 'off',
    },
  },
]
