/**
 * A run's root dir, and what ends a run (the bench's or the soak's): the
 * vehicle processes still running are stopped, then the root is removed,
 * whether the run ended, failed or was stopped by a signal.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setBenchRoot } from './support.ts'
import { killVehiclesNow, stopVehicles, VEHICLE_STOP_GRACE_MS } from './vehicles.ts'

export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export interface RunRootInit {
  /** Who says, on stderr, what a signal stopped: `bench`, `soak`. */
  name: string
  /** The root's name in the temp dir starts with this. */
  prefix: string
  /** Leave the root in place (the soak's --keep), on a signal too. @default false */
  keep?: boolean
}

/**
 * Runs `body` with every dir of the run under one root, removed when it ends
 * and on Ctrl-C (or SIGTERM, SIGHUP), which runs no `finally` of the run's:
 * each interrupted bench left its temp dirs behind (a review). The vehicle
 * processes still running (started by bench/vehicles.ts) are stopped first:
 * a signal to this pid alone left them running (a review). On a signal the
 * process then exits as the signal would have it (130 for SIGINT).
 */
export async function withRunRoot<T> (init: RunRootInit, body: (root: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), init.prefix))
  // retries: a vehicle process that got the same Ctrl-C may still be writing into its dir
  const removeRoot = init.keep === true ? () => {} : () => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) }
  let interruption: Promise<never> | undefined
  const stopThenExit = async (signal: NodeJS.Signals): Promise<never> => {
    try {
      const { stopped, killed } = await stopVehicles()
      // on stderr: a --json run's stdout stays one figure a line
      if (stopped > 0) console.error(`${init.name}: ${signal}: stopped ${stopped} vehicle process(es)${killed > 0 ? `, ${killed} killed after ${VEHICLE_STOP_GRACE_MS / 1000} s without stopping` : ''}`)
    } finally {
      removeRoot()
      process.exit(128 + constants.signals[signal])
    }
  }
  // a repeat (a process group's signal comes again through the namespace's parent) must not cut the stop short
  const interrupted = (signal: NodeJS.Signals): void => { interruption ??= stopThenExit(signal) }
  for (const signal of STOP_SIGNALS) process.on(signal, interrupted)
  // the last resort, where nothing can be awaited (an uncaught exception): no vehicle outlives this process
  process.on('exit', killVehiclesNow)
  try {
    return await body(root)
  } finally {
    // the run ends, or fails, while a signal's stop is under way: that stop ends the process
    if (interruption != null) await interruption
    // a run whose own `finally` failed before it stopped its vehicles
    await stopVehicles()
    for (const signal of STOP_SIGNALS) process.off(signal, interrupted)
    process.off('exit', killVehiclesNow)
    if (init.keep !== true) await rm(root, { recursive: true, force: true })
  }
}

/** withRunRoot for `npm run bench`: every benchmark's dirs (benchDir) go under the root. */
export async function withBenchRoot (body: () => Promise<void>): Promise<void> {
  await withRunRoot({ name: 'bench', prefix: 'vguard-bench-run-' }, async (root) => {
    setBenchRoot(root)
    try {
      await body()
    } finally {
      setBenchRoot(undefined)
    }
  })
}
