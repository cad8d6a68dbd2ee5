/**
 * The run's root dir, and what ends a run: the vehicle processes still
 * running are stopped, then the root is removed, whether the run ended, failed
 * or was stopped by a signal.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setBenchRoot } from './support.ts'
import { killVehiclesNow, stopVehicles, VEHICLE_STOP_GRACE_MS } from './vehicles.ts'

export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Runs `body` with every benchmark dir under one root, removed when it ends
 * and on Ctrl-C (or SIGTERM, SIGHUP), which runs no benchmark's `finally`:
 * each interrupted run left its temp dirs behind (a review). The vehicle
 * processes still running are stopped first: a signal to this pid alone left
 * them running (a review). On a signal the process then exits as the signal
 * would have it (130 for SIGINT).
 */
export async function withBenchRoot (body: () => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vguard-bench-run-'))
  setBenchRoot(root)
  let interruption: Promise<never> | undefined
  const stopThenExit = async (signal: NodeJS.Signals): Promise<never> => {
    try {
      const { stopped, killed } = await stopVehicles()
      // on stderr: a --json run's stdout stays one figure a line
      if (stopped > 0) console.error(`bench: ${signal}: stopped ${stopped} vehicle process(es)${killed > 0 ? `, ${killed} killed after ${VEHICLE_STOP_GRACE_MS / 1000} s without stopping` : ''}`)
    } finally {
      // retries: a vehicle process that got the same Ctrl-C may still be writing into its dir
      rmSync(root, { recursive: true, force: true, maxRetries: 5 })
      process.exit(128 + constants.signals[signal])
    }
  }
  // a repeat (a process group's signal comes again through the namespace's parent) must not cut the stop short
  const interrupted = (signal: NodeJS.Signals): void => { interruption ??= stopThenExit(signal) }
  for (const signal of STOP_SIGNALS) process.on(signal, interrupted)
  // the last resort, where nothing can be awaited (an uncaught exception): no vehicle outlives this process
  process.on('exit', killVehiclesNow)
  try {
    await body()
  } finally {
    // the benchmark ends, or fails, while a signal's stop is under way: that stop ends the process
    if (interruption != null) await interruption
    // a benchmark whose own `finally` failed before it stopped its vehicles
    await stopVehicles()
    for (const signal of STOP_SIGNALS) process.off(signal, interrupted)
    process.off('exit', killVehiclesNow)
    setBenchRoot(undefined)
    await rm(root, { recursive: true, force: true })
  }
}
