/** MemberHold: what a booth member keeps of a vehicle's chain for the vehicle (its named points and held height). */
import { describe, it, expect } from 'vitest'
import { MemberHold } from '../../../src/node/member-hold.ts'
import type { HoldPoint } from '../../../src/node/member-hold.ts'
import { HeldValues } from '../../../src/node/held-values.ts'
import { MEMBER_HOLD_BYTES, MEMBER_HOLD_SLOTS } from '../../../src/node/paxos-constants.ts'
import type { Decided } from '../../../src/consensus/index.ts'

const point = (slot: number, height = slot): HoldPoint => ({ slot, height, hash: new Uint8Array([slot % 256]) })
const values = (slots: number[], bytes = 10): HeldValues => {
  const h = new HeldValues()
  h.note(slots.map((slot): Decided => ({ slot, value: { kind: 'data', id: `w${slot}`, data: new Uint8Array(bytes) }, booth: ['a'] })))
  return h
}

describe('node - member hold', () => {
  it('saves the first point synced, a held height below the named points unsynced, and nothing twice', () => {
    const hold = new MemberHold()
    expect(hold.takeSave()).toBeUndefined()
    expect(hold.namesPoints()).toBe(false)
    expect(hold.notePoint(point(3))).toBe(true)
    // an older or equal slot is not news
    expect(hold.notePoint(point(3))).toBe(false)
    expect(hold.notePoint(point(2))).toBe(false)
    expect(hold.takeSave()).toBe('synced')
    expect(hold.takeSave()).toBeUndefined()
    // later points ride on the next meta write
    expect(hold.notePoint(point(5))).toBe(false)
    // the backups hold everything named: nothing is held back, nothing to save
    expect(hold.noteHeld(5)).toBe(false)
    expect(hold.noteHeld(2)).toBe(true)
    expect(hold.noteHeld(2)).toBe(false)
    expect(hold.takeSave()).toBe('unsynced')
    expect(hold.takeSave()).toBeUndefined()
    expect(hold.toMeta()).toEqual({ point: point(5), held: 2 })
    expect(hold.namesPoints()).toBe(true)
  })

  it('restores from the meta as already saved', () => {
    const hold = MemberHold.restored(point(7), 4)
    expect(hold.takeSave()).toBeUndefined()
    expect(hold.namesPoints()).toBe(true)
    expect(hold.toMeta()).toEqual({ point: point(7), held: 4 })
    expect(MemberHold.restored(undefined, undefined).namesPoints()).toBe(false)
  })

  it('keeps the newest 64 points', () => {
    const hold = new MemberHold()
    for (let slot = 1; slot <= 100; slot++) hold.notePoint(point(slot))
    // the oldest went: nothing at or below slot 36 to start from
    expect(hold.compactFrom(0, 36, undefined)).toBe('wait')
    expect(hold.compactFrom(0, 37, undefined)).toEqual(point(37))
  })

  it('compacts only up to a point at a height the backups hold, or anything when the vehicle never said', () => {
    const hold = new MemberHold()
    const v = values([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(hold.limit(10, 0, undefined, v)).toEqual({ slot: 10 })
    for (const slot of [2, 4, 6, 8]) hold.notePoint(point(slot))
    hold.noteHeld(5)
    expect(hold.limit(10, 0, undefined, v)).toEqual({ slot: 4 })
    // not past what was asked
    expect(hold.limit(3, 0, undefined, v)).toEqual({ slot: 2 })
    // the point compacted at last counts too
    expect(hold.limit(10, 5, point(5), v)).toEqual({ slot: 5 })
    // nothing the backups hold is named: no compaction past what is compacted
    hold.noteHeld(1)
    expect(hold.limit(10, 0, undefined, v)).toEqual({ slot: 0 })
  })

  it('gives up holding past MEMBER_HOLD_SLOTS slots or MEMBER_HOLD_BYTES of values', () => {
    const hold = new MemberHold()
    hold.notePoint(point(1))
    hold.noteHeld(1)
    const upTo = MEMBER_HOLD_SLOTS + 2
    expect(hold.limit(upTo - 1, 0, undefined, values([]))).toEqual({ slot: 1 })
    expect(hold.limit(upTo, 0, undefined, values([]))).toEqual({ slot: upTo, gaveUp: { slots: upTo - 1, bytes: 0, held: 1 } })
    // two values of more than half the bound each, above the held point
    const big = values([2, 3], MEMBER_HOLD_BYTES / 2 + 1)
    expect(hold.limit(3, 0, undefined, big)).toEqual({ slot: 3, gaveUp: { slots: 2, bytes: MEMBER_HOLD_BYTES + 2, held: 1 } })
  })

  it('starts a compaction from the newest point in range, waits when it can name none, and compacts unnamed logs freely', () => {
    const hold = new MemberHold()
    // never named a point, never compacted at one: older software
    expect(hold.compactFrom(0, 10, undefined)).toBe('unnamed')
    // compacted at a point before: wait for the vehicle to name a newer one
    expect(hold.compactFrom(4, 10, point(4))).toEqual(point(4))
    expect(hold.compactFrom(6, 10, point(4))).toBe('wait')
    hold.notePoint(point(7))
    hold.notePoint(point(9))
    expect(hold.compactFrom(6, 10, point(4))).toEqual(point(9))
    expect(hold.compactFrom(6, 8, point(4))).toEqual(point(7))
    hold.compactedTo(9)
    expect(hold.toMeta().point).toBeUndefined()
    // the replica compacted at 9: it rolls on from there, and waits past it for newer points
    expect(hold.compactFrom(9, 12, point(9))).toEqual(point(9))
    expect(hold.compactFrom(10, 12, point(9))).toBe('wait')
    // a vehicle whose points were saved once names points for good: it waits with no point at all
    const saved = new MemberHold()
    saved.notePoint(point(3))
    expect(saved.takeSave()).toBe('synced')
    saved.compactedTo(3)
    expect(saved.compactFrom(4, 12, undefined)).toBe('wait')
  })

  it('names for a promise the newest point at or below its commit: one the vehicle named, or the one it compacted at', () => {
    const hold = new MemberHold()
    expect(hold.newestUpTo(10, undefined)).toBeUndefined()
    expect(hold.newestUpTo(10, point(4))).toEqual(point(4))
    // a compact point past the commit stated is not one to name with it
    expect(hold.newestUpTo(3, point(4))).toBeUndefined()
    hold.notePoint(point(6))
    hold.notePoint(point(9))
    expect(hold.newestUpTo(10, point(4))).toEqual(point(9))
    expect(hold.newestUpTo(8, point(4))).toEqual(point(6))
    expect(hold.newestUpTo(5, point(4))).toEqual(point(4))
  })
})
