/**
 * Which vehicle the demo stops midway: one whose chain some other vehicle was
 * released from, so the read that follows shows the redirect through it.
 */
import { describe, it, expect } from 'vitest'
import { leavingVehicle, mayLeave, readerOf } from '../../../src/cli/demo-story.ts'
import type { Vehicle } from '../../../src/cli/demo-story.ts'
import type { NodeProcess } from '../../../src/swarm/process.ts'
import type { StatusBody } from '../../../src/http/status.ts'

/** A vehicle as the selection sees it: a name, a peer id, a process still running. */
function vehicle (n: number): Vehicle {
  const process = { peerId: `peer-${n}`, child: { exitCode: null, signalCode: null } } as unknown as NodeProcess
  return { name: `vehicle-${n}`, process, next: 0 }
}

/** Statuses in which `holders` keep a forward pointer (a table, no copy) for the chains named. */
function pointers (held: Record<number, number[]>): Map<string, StatusBody> {
  return new Map(Object.entries(held).map(([holder, chains]) => [`peer-${holder}`, {
    backupTables: chains.map(c => ({ chainId: `peer-${c}`, kind: 'pointer' as const, epoch: 2, active: [], obsolete: [`peer-${holder}`], height: 1, heldHeight: 1 }))
  } as unknown as StatusBody]))
}

describe('cli - demo story', () => {
  const all = [1, 2, 3, 4, 5].map(vehicle)

  it('one leaves while one stays to read it and, where more began, two go on committing', () => {
    // two began: the one left reads the other (its writes stop: the story's point is the read)
    expect(mayLeave(2, 2)).toBe(true)
    expect(mayLeave(3, 3)).toBe(true)
    // three began, one crashed: the two left keep committing, neither leaves
    expect(mayLeave(2, 3)).toBe(false)
    expect(mayLeave(3, 5)).toBe(true)
    expect(mayLeave(2, 5)).toBe(false)
    expect(mayLeave(1, 1)).toBe(false)
  })

  it('the third vehicle leaves when another vehicle was released from its chain, or when none was from any', () => {
    expect(leavingVehicle(all, pointers({ 5: [3] }))).toMatchObject({ vehicle: { name: 'vehicle-3' }, redirect: true })
    expect(leavingVehicle(all, pointers({}))).toMatchObject({ vehicle: { name: 'vehicle-3' }, redirect: false })
  })

  it('else the next vehicle that has one leaves, the read going through a released vehicle that is not the reader', () => {
    expect(leavingVehicle(all, pointers({ 2: [4] })).vehicle.name).toBe('vehicle-4')
    // vehicle-1 reads every other vehicle: a pointer it holds shows no redirect
    expect(readerOf(all[3], all).name).toBe('vehicle-1')
    expect(leavingVehicle(all, pointers({ 1: [4], 3: [5] })).vehicle.name).toBe('vehicle-5')
    // vehicle-1 leaving is read by vehicle-2
    expect(leavingVehicle(all, pointers({ 2: [1], 3: [1] })).vehicle.name).toBe('vehicle-1')
    expect(leavingVehicle(all, pointers({ 2: [1] })).vehicle.name).toBe('vehicle-3')
  })

  it('a vehicle that stopped shows no redirect', () => {
    const stopped = all.map((v, i) => i === 4 ? { ...v, process: { ...v.process, child: { exitCode: 0, signalCode: null } } as unknown as NodeProcess } : v)
    expect(leavingVehicle(stopped, pointers({ 5: [4] })).vehicle.name).toBe('vehicle-3')
  })
})
