import { describe, it, expect } from 'vitest'
import { RecentWrites } from '../../../src/node/recent-writes.ts'

describe('node - RecentWrites', () => {
  it('answers a repeat with the first attempt\'s outcome, in flight or done, and attempts once', async () => {
    const recent = new RecentWrites<number>()
    let attempts = 0
    let finish = (_: number): void => {}
    const attempt = async (): Promise<number> => {
      attempts++
      return await new Promise<number>(resolve => { finish = resolve })
    }
    const first = recent.once('w1', attempt)
    const joined = recent.once('w1', attempt)
    finish(7)
    expect(await first).toBe(7)
    expect(await joined).toBe(7)
    expect(await recent.once('w1', attempt)).toBe(7)
    expect(attempts).toBe(1)
    // another write is another attempt
    const other = recent.once('w2', async () => 8)
    expect(await other).toBe(8)
  })

  it('forgets a failed attempt, so a retry tries again', async () => {
    const recent = new RecentWrites<number>()
    await expect(recent.once('w', async () => { throw new Error('no quorum') })).rejects.toThrow('no quorum')
    expect(recent.size).toBe(0)
    expect(await recent.once('w', async () => 3)).toBe(3)
  })

  it('remembers at most `limit` writes for at most `ttl` ms, the oldest going first', async () => {
    let now = 0
    const recent = new RecentWrites<string>({ limit: 2, ttl: 1_000, now: () => now })
    await recent.once('a', async () => 'a1')
    await recent.once('b', async () => 'b1')
    await recent.once('c', async () => 'c1')
    expect(recent.size).toBe(2)
    expect(await recent.once('a', async () => 'a2')).toBe('a2')
    expect(await recent.once('c', async () => 'c2')).toBe('c1')
    now = 2_000
    expect(await recent.once('c', async () => 'c3')).toBe('c3')
    expect(recent.size).toBe(1)
  })
})
