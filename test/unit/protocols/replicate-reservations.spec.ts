/**
 * The backup's room for replicate transfers in flight: concurrent offers must
 * not be granted the same free bytes, and a reservation never outlives its
 * transfer.
 */
import { describe, it, expect } from 'vitest'
import { Reservations } from '../../../src/protocols/replicate/reservations.ts'
import type { Reservation } from '../../../src/protocols/replicate/reservations.ts'

/** A capacity of `capacity` bytes whose used figure the test moves, as the store would. */
function disk (capacity: number): { used: number, free: () => Promise<number> } {
  const d = { used: 0, free: async () => Math.max(0, capacity - d.used) }
  return d
}

function granted (r: { reservation: Reservation } | { free: number }): Reservation {
  if (!('reservation' in r)) throw new Error(`refused, ${r.free} free`)
  return r.reservation
}

describe('replicate reservations', () => {
  it('two concurrent offers that each fit but not both: one is reserved, the other sees the reduced free space', async () => {
    const reservations = new Reservations(disk(2_500_000).free)
    const [a, b] = await Promise.all([reservations.reserve(1_500_000), reservations.reserve(1_500_000)])
    expect('reservation' in a).toBe(true)
    expect(b).toEqual({ free: 1_000_000 })
    expect(reservations.reserved).toBe(1_500_000)
  })

  it('what is reserved while free capacity is being read is counted', async () => {
    const d = disk(2_000_000)
    let release: () => void = () => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    let slow = true
    const reservations = new Reservations(async () => {
      if (slow) { slow = false; await gate }
      return await d.free()
    })
    const first = reservations.reserve(1_500_000)
    // reserved after the first read began, before it returned
    const second = granted(await reservations.reserve(1_500_000))
    release()
    expect(await first).toEqual({ free: 500_000 })
    second.release()
  })

  it('a reservation shrinks as its bytes are written and the rest goes back when the transfer ends; releasing twice is harmless', async () => {
    const d = disk(1_000_000)
    const reservations = new Reservations(d.free)
    const r = granted(await reservations.reserve(600_000))
    expect(await r.claim(200_000)).toBe(true)
    d.used += 200_000
    r.written(200_000)
    expect(reservations.reserved).toBe(400_000)
    expect(await reservations.unreserved()).toBe(400_000)
    r.release()
    r.release()
    r.written(100_000)
    expect(reservations.reserved).toBe(0)
    expect(await reservations.unreserved()).toBe(800_000)
    expect(await r.claim(1)).toBe(false)
  })

  it('a frame beyond the offer is granted only from room nobody reserved', async () => {
    const reservations = new Reservations(disk(1_000_000).free)
    const r = granted(await reservations.reserve(300_000))
    const other = granted(await reservations.reserve(500_000))
    // 100,000 over the offer: 200,000 are still unreserved
    expect(await r.claim(400_000)).toBe(true)
    expect(reservations.reserved).toBe(900_000)
    expect(await r.claim(200_000)).toBe(false)
    r.release()
    other.release()
    expect(reservations.reserved).toBe(0)
  })

  it('grow sets aside room about to be freed (a copy dropped on reset) without asking for free space', async () => {
    const d = disk(1_000_000)
    d.used = 1_000_000
    const reservations = new Reservations(d.free)
    const r = granted(await reservations.reserve(0))
    r.grow(400_000)
    d.used -= 400_000
    expect(await reservations.unreserved()).toBe(0)
    expect(await r.claim(400_000)).toBe(true)
    r.release()
    expect(await reservations.unreserved()).toBe(400_000)
  })
})
