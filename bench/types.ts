/** One figure printed by `npm run bench`; a ratio is value / baseline measured in the same run. */
export interface BenchResult {
  bench: string
  figure: string
  value: number
  unit: string
  baseline?: number
  ratio?: number
  target?: string
}

export interface Benchmark {
  name: string
  description: string
  run: (report: (r: BenchResult) => void) => Promise<void>
}

/** Adds the ratio against a baseline measured in the same run. */
export function withRatio (r: Omit<BenchResult, 'ratio'> & { baseline: number }): BenchResult {
  return { ...r, ratio: r.baseline === 0 ? 0 : r.value / r.baseline }
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}
