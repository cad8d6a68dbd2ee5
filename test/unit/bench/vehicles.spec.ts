/**
 * The bench knows every vehicle process it starts (bench/vehicles.ts), so a
 * signal to its pid alone or a failed run can stop them: they were left
 * running, orphaned (a review). Real child processes: a stand-in for
 * `vguard-node start` that stops on SIGTERM or, asked to, ignores it.
 */
import { describe, it, expect, afterEach } from 'vitest'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { killVehiclesNow, spawnVehicle, stopEach, stopVehicles } from '../../../bench/vehicles.ts'

const FAKE_VEHICLE = fileURLToPath(new URL('../../fixtures/fake-vehicle.mjs', import.meta.url))

afterEach(() => { killVehiclesNow() })

describe('bench - vehicles', () => {
  it('stopVehicles: a vehicle stops cleanly on SIGTERM; one still running after the grace is killed', async () => {
    const clean = await spawnVehicle({ bin: FAKE_VEHICLE, args: [] })
    const hung = await spawnVehicle({ bin: FAKE_VEHICLE, args: ['--ignore-sigterm'] })
    expect(await stopVehicles(300)).toEqual({ stopped: 2, killed: 1 })
    expect(clean.child.exitCode).toBe(0)
    expect(hung.child.signalCode).toBe('SIGKILL')
  })

  it('stopVehicles: a vehicle still starting, not returned to anyone yet, is stopped too', async () => {
    let child: ChildProcess | undefined
    const starting = spawnVehicle({ bin: FAKE_VEHICLE, args: ['--never-ready'], onSpawn: (c) => { child = c } })
    // its failure comes while stopVehicles still waits for its last output: taken from the start, not left unhandled
    const failed = expect(starting).rejects.toThrow(/before ready/)
    await stopVehicles(300)
    await failed
    expect(child?.exitCode ?? child?.signalCode).not.toBeNull()
  })

  it('stopVehicles: a vehicle spawned while the others stop (a churn restart under way) is stopped too, not left to the exit\'s SIGKILL', async () => {
    const hung = await spawnVehicle({ bin: FAKE_VEHICLE, args: ['--ignore-sigterm'] })
    const stopping = stopVehicles(500)
    // spawned once the stop has begun, while it waits out the hung one's grace (ready or not by then)
    let late: ChildProcess | undefined
    const starting = spawnVehicle({ bin: FAKE_VEHICLE, args: [], onSpawn: (c) => { late = c } }).catch(() => undefined)
    expect(await stopping).toEqual({ stopped: 2, killed: 1 })
    expect(hung.child.signalCode).toBe('SIGKILL')
    expect(late?.exitCode ?? late?.signalCode).not.toBeNull()
    await starting
  })

  it('stopEach: a benchmark\'s own stop of its vehicles kills one still running after the grace', async () => {
    const clean = await spawnVehicle({ bin: FAKE_VEHICLE, args: [] })
    const hung = await spawnVehicle({ bin: FAKE_VEHICLE, args: ['--ignore-sigterm'] })
    await stopEach([clean, hung], 300)
    expect(clean.child.exitCode).toBe(0)
    expect(hung.child.signalCode).toBe('SIGKILL')
  })
})
