/**
 * The run's root dir: every benchmark's dirs go under it, and it is removed
 * when the run ends, fails or is stopped by a signal.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setBenchRoot } from './support.ts'

export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Runs `body` with every benchmark dir under one root, removed when it ends
 * and on Ctrl-C (or SIGTERM, SIGHUP), which runs no benchmark's `finally`:
 * each interrupted run left its temp dirs behind (a review). The process
 * then exits as the signal would have it (130 for SIGINT).
 */
export async function withBenchRoot (body: () => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vguard-bench-run-'))
  setBenchRoot(root)
  const interrupted = (signal: NodeJS.Signals): void => {
    // retries: a vehicle process that got the same Ctrl-C may still be writing into its dir
    rmSync(root, { recursive: true, force: true, maxRetries: 5 })
    process.exit(128 + constants.signals[signal])
  }
  for (const signal of STOP_SIGNALS) process.on(signal, interrupted)
  try {
    await body()
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, interrupted)
    setBenchRoot(undefined)
    await rm(root, { recursive: true, force: true })
  }
}
