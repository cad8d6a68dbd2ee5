import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    // threads have hung and crashed with native addons (classic-level)
    pool: 'forks',
    // four files at a time even on two cores (vitest's default there is one): most
    // of the suite waits on timers, dials and child processes, not on the CPU (with
    // two at a time the cores stood ~65% idle). On two cores one at a time took
    // ~1,000 s of CI's 1,200, two ~780 s (the suite had grown), four ~470 s
    maxWorkers: Math.max(4, availableParallelism() - 1),
    // dials, mDNS rounds and child processes take longer than vitest's defaults;
    // tests wait for conditions, these are only upper bounds
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000
  }
})
