import { describe, it, expect } from 'vitest'
import { TransferWindow } from '../../../src/protocols/replicate/window.ts'

const KiB = 1024
const MiB = 1024 * KiB

describe('replicate - a transfer\'s send window follows its throughput', () => {
  function clock (): { now: () => number, at: (ms: number) => void } {
    let t = 0
    return { now: () => t, at: (ms) => { t = ms } }
  }

  it('starts at its least and holds about a second of what was acknowledged, within its bounds', async () => {
    const c = clock()
    const w = new TransferWindow(1 * MiB, 8 * MiB, c.now)
    expect(w.size).toBe(1 * MiB)
    await w.reserve(512 * KiB)
    // a slow link: 512 KiB acknowledged in 1 s (4 Mbit/s): a second of it is below the least
    c.at(1_000)
    w.release(512 * KiB)
    expect(w.size).toBe(1 * MiB)
    // faster: 3 MiB in 1.5 s
    await w.reserve(512 * KiB)
    c.at(1_500)
    w.release(2.5 * MiB)
    expect(w.size).toBe(2 * MiB)
    // a LAN: far above the most
    c.at(1_600)
    w.release(100 * MiB)
    expect(w.size).toBe(8 * MiB)
  })

  it('makes the writer wait while it is full, lets a frame larger than the window go alone, and waits for nothing once abandoned', async () => {
    const c = clock()
    const w = new TransferWindow(1 * MiB, 8 * MiB, c.now)
    await w.reserve(3 * MiB)
    expect(w.inflight).toBe(3 * MiB)
    let second = false
    const waiting = w.reserve(512 * KiB).then(() => { second = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(second).toBe(false)
    c.at(1_000)
    w.release(3 * MiB)
    await waiting
    expect(second).toBe(true)
    // full again; abandoned, the writer goes on (and sees why it was)
    await w.reserve(2 * MiB)
    w.abandon()
    await w.reserve(2 * MiB)
  })
})
