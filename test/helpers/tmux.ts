import {execFileSync} from 'node:child_process'

/** A private tmux server (its own socket), so a test never touches anyone else's sessions. */
export function privateTmux(name: string, opts: {join?: boolean} = {}) {
  const socket = `wk-${name}-${process.pid}`
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})

  /** Polls the pane until the pattern shows (with `join`, wrapped lines are joined first). */
  async function waitForScreen(session: string, pattern: RegExp, timeoutMs = 90_000): Promise<string> {
    const until = Date.now() + timeoutMs
    let screen = ''
    while (Date.now() < until) {
      screen = tmux('capture-pane', '-p', ...(opts.join ? ['-J'] : []), '-t', session)
      if (pattern.test(screen)) return screen
      await new Promise((r) => setTimeout(r, 250))
    }

    throw new Error(`timed out waiting for ${pattern} on the screen:\n${screen}`)
  }

  function killServer(): void {
    try {
      tmux('kill-server')
    } catch {
      // already gone
    }
  }

  return {tmux, waitForScreen, killServer}
}
