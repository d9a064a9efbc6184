import type {Reporter, TestModule} from 'vitest/node'

/** Prints a closing line `Tests: N passed, N failed, N skipped` that CI can read. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const mod of testModules) {
      let count = 0
      for (const test of mod.children.allTests()) {
        count++
        const {state} = test.result()
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }

      // A file that failed to load has no tests but must still count as a failure.
      if (count === 0 && mod.state() === 'failed') failed++
    }

    failed += unhandledErrors.length
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
