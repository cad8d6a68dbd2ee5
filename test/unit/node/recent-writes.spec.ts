import { describe, it, expect } from 'vitest'
import { RecentWrites, writeKey } from '../../../src/node/recent-writes.ts'

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

  it('remembers at most `limit` writes of a writer for at most `ttl` ms, its oldest going first', async () => {
    let now = 0
    const recent = new RecentWrites<string>({ limit: 2, ttl: 1_000, now: () => now })
    const key = (id: string): string => writeKey('writer', 'chain', id)
    await recent.once(key('a'), async () => 'a1')
    await recent.once(key('b'), async () => 'b1')
    await recent.once(key('c'), async () => 'c1')
    expect(recent.size).toBe(2)
    expect(await recent.once(key('a'), async () => 'a2')).toBe('a2')
    expect(await recent.once(key('c'), async () => 'c2')).toBe('c1')
    now = 2_000
    expect(await recent.once(key('c'), async () => 'c3')).toBe('c3')
    expect(recent.size).toBe(1)
  })

  it('one writer\'s flood evicts its own writes, not another writer\'s (a retry after it still gets the first outcome)', async () => {
    const recent = new RecentWrites<string>({ limit: 100, total: 150 })
    expect(await recent.once(writeKey('honest', 'shared', '01'), async () => 'first')).toBe('first')
    for (let i = 0; i < 1_000; i++) await recent.once(writeKey('flood', 'shared', i.toString(16)), async () => 'spam')
    expect(recent.size).toBeLessThanOrEqual(150)
    expect(await recent.once(writeKey('honest', 'shared', '01'), async () => 'again')).toBe('first')
    // other writers past the total take their room from the busiest writer too
    for (let w = 0; w < 100; w++) await recent.once(writeKey(`other-${w}`, 'shared', '01'), async () => `other-${w}`)
    expect(recent.size).toBeLessThanOrEqual(150)
    expect(await recent.once(writeKey('honest', 'shared', '01'), async () => 'again')).toBe('first')
    expect(await recent.once(writeKey('other-0', 'shared', '01'), async () => 'again')).toBe('other-0')
  })
})
