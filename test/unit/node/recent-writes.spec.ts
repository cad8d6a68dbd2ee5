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

  it('keyed writes (no writer in the key) count against the node that carried them; a retry through another node still finds them', async () => {
    const recent = new RecentWrites<string>({ limit: 100, total: 150 })
    const keyed = (id: string): string => writeKey('', 'shared', id)
    expect(await recent.once(keyed('01'), async () => 'first', 'honest')).toBe('first')
    for (let i = 0; i < 1_000; i++) await recent.once(keyed(`f${i.toString(16)}`), async () => 'spam', 'flood')
    expect(recent.size).toBeLessThanOrEqual(150)
    expect(await recent.once(keyed('01'), async () => 'again', 'another carrier')).toBe('first')
  })

  it('at the total, a new write is kept whoever gives way, its own writer too, and a full map never hangs', async () => {
    const recent = new RecentWrites<string>({ limit: 10, total: 2 })
    await recent.once(writeKey('a', 'c', '1'), async () => 'a1')
    await recent.once(writeKey('b', 'c', '1'), async () => 'b1')
    // three writers of one write each: the oldest of a busiest one goes, the new one stays
    expect(await recent.once(writeKey('c', 'c', '1'), async () => 'c1')).toBe('c1')
    expect(recent.size).toBe(2)
    expect(await recent.once(writeKey('c', 'c', '1'), async () => 'again')).toBe('c1')
    // one writer alone at the total evicts its own oldest, and keeps the new one
    const alone = new RecentWrites<string>({ limit: 10, total: 1 })
    await alone.once(writeKey('w', 'c', '1'), async () => 'w1')
    expect(await alone.once(writeKey('w', 'c', '2'), async () => 'w2')).toBe('w2')
    expect(await alone.once(writeKey('w', 'c', '2'), async () => 'again')).toBe('w2')
    expect(await alone.once(writeKey('w', 'c', '3'), async () => 'w3')).toBe('w3')
    expect(alone.size).toBe(1)
  })
})
