/**
 * `npm run soak` runs vehicle processes for minutes. A SIGTERM to its pid
 * alone (`kill`, `timeout`, a supervisor) killed it at once (it had no
 * handler) and left its vehicles running, orphaned, with its temp dir behind
 * (a review). Needs `npm run build` (the soak runs from dist/).
 */
import { describe, it } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expectStoppedBySigterm, killLeftovers, startRun, vehiclePids } from '../utils/process-tree.ts'
import { waitFor } from '../utils/wait.ts'

const SOAK = fileURLToPath(new URL('../../dist/bench/soak.js', import.meta.url))

describe('soak - interrupted', () => {
  it.skipIf(!existsSync(SOAK) || !existsSync('/proc/self/stat'))('SIGTERM to the soak\'s pid alone stops the vehicle processes it started, removes its dir and exits 143', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-soak-test-'))
    let vehicles: number[] = []
    // the fewest vehicles it takes, and no churn before the signal
    const run = startRun(SOAK, ['--vehicles', '3', '--duration', '600', '--churn', '600'], tmp)
    try {
      await waitFor(() => {
        if (run.child.exitCode != null) throw new Error(`the soak exited with ${run.child.exitCode}: ${run.output()}`)
        return vehiclePids(run.child.pid as number).length === 3
      }, { timeout: 30_000, message: 'the soak\'s three vehicles started', state: () => run.output() })
      vehicles = vehiclePids(run.child.pid as number)
      await expectStoppedBySigterm(run, vehicles, 'soak', 'vguard-soak-', tmp)
    } finally {
      killLeftovers(run, vehicles)
      await rm(tmp, { recursive: true, force: true })
    }
  }, 60_000)
})
