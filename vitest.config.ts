import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    // threads have hung and crashed with native addons (classic-level)
    pool: 'forks',
    // dials, mDNS rounds and child processes take longer than vitest's defaults;
    // tests wait for conditions, these are only upper bounds
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000
  }
})
