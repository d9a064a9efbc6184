/** Edit distance with adjacent transpositions (optimal string alignment), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }

  return d[a.length][b.length]
}

/** The closest candidate within a small distance, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDist = Infinity
  const lower = word.toLowerCase()
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase())
    if (d < bestDist) {
      best = c
      bestDist = d
    }
  }

  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)))
  return best !== undefined && bestDist <= limit ? best : undefined
}
