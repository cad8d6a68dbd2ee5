/**
 * A benchmark that fails before its own `finally` stopped its vehicles (the
 * consensus bench's stops its in-process proposer first, and a failure there
 * skipped its members' stop) left them running on a removed dir: the run
 * stops what is left before it removes its root.
 */
import { describe, it, expect } from 'vitest'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NodeProcess } from '../../../src/swarm/process.ts'
import { withBenchRoot, withRunRoot } from '../../../bench/run-root.ts'
import { benchDir } from '../../../bench/support.ts'
import { killVehiclesNow, spawnVehicle } from '../../../bench/vehicles.ts'

const FAKE_VEHICLE = fileURLToPath(new URL('../../fixtures/fake-vehicle.mjs', import.meta.url))

describe('bench - run root', () => {
  it('a benchmark that fails with a vehicle running: the vehicle is stopped, then the run\'s dirs are removed', async () => {
    let vehicle: NodeProcess | undefined
    let dir = ''
    try {
      await expect(withBenchRoot(async () => {
        dir = await benchDir('vguard-bench-test-')
        vehicle = await spawnVehicle({ bin: FAKE_VEHICLE, args: [] })
        throw new Error('the benchmark failed')
      })).rejects.toThrow('the benchmark failed')
      // a clean stop (SIGTERM), not the grace's SIGKILL
      expect(vehicle?.child.exitCode).toBe(0)
      expect(existsSync(dirname(dir))).toBe(false)
    } finally {
      killVehiclesNow()
    }
  })

  it('a run that keeps its root (the soak\'s --keep): the root stays, and its vehicles are stopped all the same', async () => {
    let vehicle: NodeProcess | undefined
    let root = ''
    try {
      await withRunRoot({ name: 'soak', prefix: 'vguard-soak-test-', keep: true }, async (dir) => {
        root = dir
        vehicle = await spawnVehicle({ bin: FAKE_VEHICLE, args: [] })
      })
      expect(vehicle?.child.exitCode).toBe(0)
      expect(existsSync(root)).toBe(true)
    } finally {
      killVehiclesNow()
      await rm(root, { recursive: true, force: true })
    }
  })
})
