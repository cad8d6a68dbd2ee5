/**
 * Every vehicle process the benchmarks start, known from its spawn until it
 * exits. A signal to the bench's pid alone (`kill`, `timeout`, a supervisor)
 * runs no benchmark's `finally`: the run's dirs were removed and the vehicles
 * left running, orphaned, on their ports and deleted dirs (a review).
 * bench/run-root.ts stops the ones left here before it removes the dirs, on
 * a signal and when a run ends.
 */
import type { ChildProcess } from 'node:child_process'
import { spawnNode, stopWithin } from '../src/swarm/process.ts'
import type { NodeProcess, SpawnNodeInit } from '../src/swarm/process.ts'
import { DRAIN_GRACE_MS } from '../src/http/server.ts'

/**
 * An idle vehicle stops on SIGTERM within a second or two; one with writes in flight lets them finish for
 * up to its drain grace first. One still running after that and a margin is killed, so a stop is not held
 * for long (it was 3 s, under the 5 s drain: a soak stopped mid-write killed vehicles that were stopping
 * cleanly; a review).
 */
export const VEHICLE_STOP_GRACE_MS = DRAIN_GRACE_MS + 3_000

const running = new Set<ChildProcess>()
/** Each tracked vehicle's output still to be read to its end ('close' comes after 'exit'). */
const unread = new Set<Promise<void>>()
/** How long stopVehicles waits for the last output of the vehicles it stopped. */
const OUTPUT_GRACE_MS = 1_000

/** spawnNode, with the child known here from the moment it is spawned (one still starting has not been returned to anyone). */
export async function spawnVehicle (init: SpawnNodeInit): Promise<NodeProcess> {
  return await spawnNode({
    ...init,
    onSpawn: (child) => {
      track(child)
      init.onSpawn?.(child)
    }
  })
}

function track (child: ChildProcess): void {
  // no pid: the spawn itself failed, and there is nothing to stop
  if (child.pid == null || hasExited(child)) return
  running.add(child)
  child.once('exit', () => { running.delete(child) })
  const closed = new Promise<void>((resolve) => { child.once('close', () => { resolve() }) })
  unread.add(closed)
  void closed.then(() => { unread.delete(closed) })
}

function hasExited (child: ChildProcess): boolean {
  return child.exitCode != null || child.signalCode != null
}

/** What stopVehicles did: how many vehicles it stopped, and how many of them it had to kill. */
export interface VehiclesStopped {
  stopped: number
  killed: number
}

/**
 * Stops every vehicle still running: SIGTERM for a clean stop, SIGKILL to
 * those still running after `graceMs`. Resolves once all have exited, those
 * spawned meanwhile too, and their output has been read to its end (1 s at most more).
 */
export async function stopVehicles (graceMs = VEHICLE_STOP_GRACE_MS): Promise<VehiclesStopped> {
  const done: VehiclesStopped = { stopped: 0, killed: 0 }
  // again for those spawned while these stopped (a churn restart under way when a signal came):
  // left out, they got only the exit's SIGKILL, after their dirs were removed under them
  while (running.size > 0) {
    const killed = await Promise.all([...running].map(async child => await stopWithin(child, graceMs)))
    done.stopped += killed.length
    done.killed += killed.filter(Boolean).length
  }
  // what they said last (their stop, kept in the soak's logs with --keep): a process.exit right after the exit
  // cut it off. Bounded: a pipe some other process still holds would never close
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([Promise.all([...unread]), new Promise<void>(resolve => { timer = setTimeout(resolve, OUTPUT_GRACE_MS) })])
  clearTimeout(timer)
  return done
}

/**
 * Stops these vehicles as stopVehicles does all of them (SIGKILL after
 * `graceMs`): a benchmark's own `finally` waited on a bare SIGTERM, and one
 * vehicle hung in its stop held the bench for good.
 */
export async function stopEach (vehicles: NodeProcess[], graceMs = VEHICLE_STOP_GRACE_MS): Promise<void> {
  await Promise.all(vehicles.map(async (v) => {
    const kill = setTimeout(() => { v.child.kill('SIGKILL') }, graceMs)
    try {
      await v.stop()
    } finally {
      clearTimeout(kill)
    }
  }))
}

/**
 * SIGKILL to every vehicle still running, at once: for a process that is
 * exiting now (an uncaught exception, a `process.exit` from anywhere), where
 * nothing can be awaited and a vehicle left would outlive it.
 */
export function killVehiclesNow (): void {
  for (const child of running) child.kill('SIGKILL')
}
