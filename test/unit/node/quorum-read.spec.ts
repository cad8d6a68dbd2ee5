import { describe, it, expect } from 'vitest'
import { quorumRead, TooFewHoldersError } from '../../../src/node/quorum-read.ts'
import type { HolderAnswer, QuorumReadResult } from '../../../src/node/quorum-read.ts'

const utf8 = new TextEncoder()
const value = (peer: string, v: string, valueHeight: number, height = valueHeight): HolderAnswer => ({ peer, status: 'value', value: utf8.encode(v), valueHeight, height })
const absent = (peer: string, height: number): HolderAnswer => ({ peer, status: 'absent', height })

function seq (...xs: number[]): () => number {
  let i = 0
  return () => xs[i++ % xs.length]
}

describe('node - quorum read', () => {
  it('returns at once when the first Nr holders agree', async () => {
    const asked: string[] = []
    const r = await quorumRead({
      holders: ['a', 'b', 'c'],
      quorum: 2,
      random: seq(0.99),
      ask: async (p) => { asked.push(p); return value(p, 'v2', 5) }
    })
    expect(r).toMatchObject({ status: 'value', height: 5 })
    expect(asked).toHaveLength(2)
    expect(r.agreed).toHaveLength(2)
  })

  it('a stale minority is outvoted: every order of asking returns the newest value', async () => {
    const answers: Record<string, HolderAnswer> = { a: value('a', 'new', 7), b: value('b', 'new', 7), c: value('c', 'old', 3) }
    for (let i = 0; i < 20; i++) {
      const r = await quorumRead({ holders: ['a', 'b', 'c'], quorum: 2, random: seq(i / 20, (i * 7 % 20) / 20), ask: async (p) => answers[p] })
      expect(new TextDecoder().decode(r.value)).toBe('new')
      expect(r.agreed.sort()).toEqual(['a', 'b'])
    }
  })

  it('asks a disagreeing holder again until it catches up', async () => {
    let calls = 0
    const r = await quorumRead({
      holders: ['a', 'b'],
      quorum: 2,
      retryDelay: 1,
      ask: async (p) => {
        if (p === 'b' && calls++ < 2) return value('b', 'old', 3)
        return value(p, 'new', 7)
      }
    })
    expect(new TextDecoder().decode(r.value)).toBe('new')
  })

  it('a deletion newer than a stale value wins; a holder behind a write loses', async () => {
    const deleted = await quorumRead({ holders: ['a', 'b', 'c'], quorum: 2, retryDelay: 1, ask: async (p) => p === 'c' ? value('c', 'x', 4) : absent(p, 9) })
    expect(deleted).toMatchObject({ status: 'absent', height: 9 })
    const written = await quorumRead({ holders: ['a', 'b', 'c'], quorum: 2, retryDelay: 1, ask: async (p) => p === 'c' ? absent('c', 2) : value(p, 'x', 4) })
    expect(written).toMatchObject({ status: 'value', height: 4 })
  })

  it('never returns a value fewer than Nr agree on; unreachable holders do not vote', async () => {
    const err = await quorumRead({
      holders: ['a', 'b', 'c'],
      quorum: 2,
      retryDelay: 1,
      maxRounds: 2,
      unavailableWait: 0,
      ask: async (p) => {
        if (p === 'a') throw new Error('down')
        return p === 'b' ? value('b', 'new', 7) : value('c', 'old', 3)
      }
    }).catch((e: Error) => e)
    expect((err as Error).name).toBe('QuorumReadError')
    expect((err as Error).message).toMatch(/^no version of the key is held by 2 of 3 holders/)
    // a block read says so (it read "the key": a review)
    const block = await quorumRead({ holders: ['a', 'b'], quorum: 2, retryDelay: 1, maxRounds: 1, unavailableWait: 0, what: 'block 7', ask: async (p) => value(p, p, 7) })
      .catch((e: Error) => e)
    expect((block as Error).message).toMatch(/^no version of block 7 is held by 2 of 2 holders/)
  })

  it('asks a spare holder beside one that stays silent, and answers once Nr agree (a holder cut off held every read 5 s)', async () => {
    const started = performance.now()
    const asked: string[] = []
    const r = await quorumRead({
      holders: ['a', 'b', 'c'],
      quorum: 2,
      // no shuffle: a and b are asked first
      random: () => 0.999,
      hedgeAfter: 50,
      deadline: 30_000,
      ask: async (p) => {
        asked.push(p)
        return p === 'b' ? await new Promise<HolderAnswer>(() => {}) : value(p, 'v', 3)
      }
    })
    expect(r.agreed.sort()).toEqual(['a', 'c'])
    expect(asked).toEqual(['a', 'b', 'c'])
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('ends at its time limit when holders never answer (cut off silently: each ask held the read for the protocol\'s timeout)', async () => {
    const started = performance.now()
    const err = await quorumRead({
      holders: ['a', 'b', 'c'],
      quorum: 2,
      retryDelay: 1,
      deadline: 300,
      // no shuffle: a and b are asked first (shuffled, a CI run asked a and c, and its message named no b)
      random: () => 0.999,
      // b and c never answer; a does
      ask: async (p) => p === 'a' ? value('a', 'v', 3) : await new Promise<HolderAnswer>(() => {})
    }).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'QuorumReadError' })
    expect((err as Error).message).toMatch(/b: unavailable \(no answer within the read's time limit\)/)
    // the 3 s it waits for unreachable holders is cut short too
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('a holder that said why it could not answer, then was cut short by the time limit, is named with its reason (it showed only "no answer")', async () => {
    let askedB = 0
    const err = await quorumRead({
      holders: ['a', 'b', 'c'],
      quorum: 2,
      retryDelay: 1,
      deadline: 300,
      random: () => 0.999,
      // b says it cannot vouch for its copy at once, and takes its time asked again; c cannot be reached
      ask: async (p) => {
        if (p === 'a') return value('a', 'v', 3)
        if (p === 'c') return { peer: 'c', status: 'unavailable', error: 'connection refused' }
        return ++askedB === 1 ? { peer: 'b', status: 'unavailable', error: 'UNAVAILABLE: cannot vouch' } : await new Promise<HolderAnswer>(() => {})
      }
    }).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'QuorumReadError' })
    expect((err as Error).message).toContain('b: unavailable (UNAVAILABLE: cannot vouch; asked again, no answer within the read\'s time limit)')
    expect((err as Error).message).toContain('c: unavailable (connection refused)')
  })

  it('asks a holder it cannot reach again for a while: one that connects late still makes the quorum', async () => {
    // a vehicle that just joined knows its booth before it has met every member (a CI failure).
    // Holders a, b, c; a always answers; the others as `other` says; each ask takes 50 ms of the clock
    let clock = 0
    const asked: string[] = []
    const read = async (other: (p: string) => HolderAnswer): Promise<Awaited<ReturnType<typeof quorumRead>>> => {
      clock = 0
      return await quorumRead({
        holders: ['a', 'b', 'c'],
        quorum: 2,
        retryDelay: 1,
        maxRounds: 2,
        unavailableWait: 1_000,
        now: () => clock,
        ask: async (p) => {
          asked.push(p)
          clock += 50
          return p === 'a' ? value('a', 'v', 3) : other(p)
        }
      })
    }
    // b and c connect only once the fixed rounds are over
    const r = await read((p) => {
      if (clock < 600) throw new Error(`no connection to ${p} yet`)
      return value(p, 'v', 3)
    })
    expect(r.agreed.length).toBeGreaterThanOrEqual(2)
    expect(asked.filter(p => p !== 'a').length).toBeGreaterThan(2 * 3)
    // none ever answers: the read gives up once the wait is over, saying why each holder failed
    const err = await read((p) => { throw new Error(`${p} is down`) }).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'QuorumReadError' })
    expect((err as Error).message).toMatch(/b: unavailable \(b is down\)/)
    expect(clock).toBeGreaterThanOrEqual(1_000)
  })

  it('falls back to the newest version Nr do agree on when the newest has too few and its holders read past it', async () => {
    const r = await quorumRead({
      holders: ['a', 'b', 'c', 'd'],
      quorum: 2,
      retryDelay: 1,
      maxRounds: 1,
      unavailableWait: 0,
      ask: async (p) => p === 'a' ? value('a', 'newest', 9) : p === 'd' ? { peer: 'd', status: 'unavailable', error: 'x' } : value(p, 'agreed', 5, 12)
    })
    expect(new TextDecoder().decode(r.value)).toBe('agreed')
  })

  it('holders behind a newer version seen do not outvote it: the value it replaced is no answer (a probe)', async () => {
    // the vehicle wrote "new" at 6; its backups, too full to take block 5, stay at 4
    const read = async (answers: Record<string, HolderAnswer>): Promise<unknown> => await quorumRead({
      holders: ['v', 'b1', 'b2'],
      quorum: 2,
      retryDelay: 1,
      maxRounds: 1,
      random: seq(0.99),
      ask: async (p) => answers[p]
    }).catch((e: Error) => e.name)
    expect(await read({ v: value('v', 'new', 6), b1: value('b1', 'old', 1, 4), b2: value('b2', 'old', 1, 4) })).toBe('QuorumReadError')
    // a block they lack: not "no such block"
    expect(await read({ v: value('v', 'block 6', 6), b1: absent('b1', 4), b2: absent('b2', 4) })).toBe('QuorumReadError')
  })

  it('the vehicle of its own chain is among the first asked: its backups, behind a write it answered before they took it, never agree it away (a probe)', async () => {
    // the vehicle acknowledged "5" at height 5 without waiting for its replication round; no table says so yet
    for (let i = 0; i < 10; i++) {
      const asked: string[] = []
      let rounds = 0
      const read = async (first?: string): Promise<QuorumReadResult> => await quorumRead({
        holders: ['b1', 'b2', 'v'],
        first,
        quorum: 2,
        retryDelay: 1,
        random: seq(i / 10, ((i * 3) % 10) / 10),
        ask: async (p) => {
          asked.push(p)
          if (p === 'v') return value('v', '5', 5)
          // the backups take block 5 after a few asks
          return rounds++ < 4 ? value(p, '4', 4) : value(p, '5', 5)
        }
      })
      const r = await read('v')
      expect(asked[0]).toBe('v')
      expect(new TextDecoder().decode(r.value)).toBe('5')
    }
    // without: asking the two backups first, they agree on the value the write replaced
    const stale = await quorumRead({ holders: ['b1', 'b2', 'v'], quorum: 2, random: seq(0.99), ask: async (p) => p === 'v' ? value('v', '5', 5) : value(p, '4', 4) })
    expect(new TextDecoder().decode(stale.value)).toBe('4')
  })

  it('says so when Nr agree on a version a newer one replaced (it said no version was held by Nr)', async () => {
    const err = await quorumRead({
      holders: ['v', 'b1', 'b2'],
      first: 'v',
      quorum: 2,
      retryDelay: 1,
      maxRounds: 1,
      unavailableWait: 0,
      ask: async (p) => p === 'v' ? value('v', '91', 91) : value(p, '90', 90)
    }).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'QuorumReadError', message: expect.stringMatching(/^value@90 of the key is held by 2 of 3 holders, but a newer version \(value@91\) was seen, which fewer than 2 hold \(v: value@91, b\d: value@90, b\d: value@90\)/) })
  })

  it('holders below the height the chain is known to have reached are no vote on their own', async () => {
    const answers: Record<string, HolderAnswer> = { b1: value('b1', 'old', 1, 4), b2: value('b2', 'old', 1, 4), c: { peer: 'c', status: 'unavailable', error: 'down' } }
    const read = async (minHeight: number): Promise<unknown> => await quorumRead({ holders: ['b1', 'b2', 'c'], quorum: 2, retryDelay: 1, maxRounds: 1, unavailableWait: 0, minHeight, ask: async (p) => answers[p] })
      .then(r => r.agreed.sort(), (e: Error) => e.name)
    // the vehicle is down; its signed table says the chain reached 6
    expect(await read(6)).toBe('QuorumReadError')
    expect(await read(4)).toHaveLength(2)
    // behind, they still second what a holder that is not shows: a key unchanged for ages reads fine
    const seconded = await quorumRead({ holders: ['v', 'b1', 'b2'], quorum: 2, retryDelay: 1, maxRounds: 1, minHeight: 11, random: seq(0.99), ask: async (p) => value(p, 'same', 5, p === 'v' ? 11 : 10) })
    expect(new TextDecoder().decode(seconded.value)).toBe('same')
    // a block a holder shows is the same at every holder, behind or not
    const block = { peer: 'x', status: 'value', value: utf8.encode('hash2'), valueHeight: 2, height: 4, block: {} } as unknown as HolderAnswer
    const blocks = await quorumRead({ holders: ['b1', 'b2'], quorum: 2, minHeight: 6, ask: async (p) => ({ ...block, peer: p }) })
    expect(blocks.agreed.sort()).toEqual(['b1', 'b2'])
  })

  it('fewer known holders than Nr fail, asking no one: a quorum read is never a smaller read', async () => {
    const asked: string[] = []
    const ask = async (p: string): Promise<HolderAnswer> => { asked.push(p); return value(p, 'v', 1) }
    const none = await quorumRead({ holders: [], quorum: 2, ask }).catch((e: Error) => e)
    expect(none).toBeInstanceOf(TooFewHoldersError)
    expect((none as Error).name).toBe('QuorumReadError')
    const one = await quorumRead({ holders: ['only', 'only'], quorum: 2, ask }).catch((e: Error) => e) as TooFewHoldersError
    expect(one).toBeInstanceOf(TooFewHoldersError)
    expect(one).toMatchObject({ name: 'QuorumReadError', holders: ['only'], quorum: 2, details: { holders: ['only'], quorum: 2 } })
    expect(one.message).toMatch(/only 1 holder .* \(only\), fewer than the read quorum Nr = 2/)
    expect(asked).toEqual([])
    expect(await quorumRead({ holders: ['a', 'b'], quorum: 2, ask })).toMatchObject({ status: 'value' })
  })

  it('a holder claiming a height past the vehicle\'s and the known one is no vote and no newer version: the agreed value stands (a review)', async () => {
    // L answers a value "written" at 1,000,000, consistently with the height it claims; it made 5 of 8 reads fail
    const answers: Record<string, HolderAnswer> = { v: value('v', '80', 2), L: value('L', 'forged', 1_000_000), b: value('b', '80', 2) }
    for (const order of [seq(0.99, 0.99), seq(0, 0.99), seq(0.5, 0)]) {
      const r = await quorumRead({ holders: ['v', 'L', 'b'], first: 'v', quorum: 2, retryDelay: 1, maxRounds: 1, unavailableWait: 0, random: order, ask: async (p) => answers[p] })
      expect(new TextDecoder().decode(r.value)).toBe('80')
      expect(r.agreed.sort()).toEqual(['b', 'v'])
    }
    // asked among the first two: then, too
    const first = await quorumRead({ holders: ['v', 'L', 'b'], first: 'v', quorum: 2, retryDelay: 1, maxRounds: 1, unavailableWait: 0, random: () => 0.99, ask: async (p) => answers[p] })
    expect(first.answers.map(a => a.peer)).toContain('L')
    // a height the chain is known to have reached (a signed table, the reader's copy) is within bounds
    const known = await quorumRead({ holders: ['v', 'L', 'b'], first: 'v', quorum: 2, retryDelay: 1, maxRounds: 1, unavailableWait: 0, minHeight: 1_000_000, ask: async (p) => answers[p] }).catch((e: Error) => e.name)
    expect(known).toBe('QuorumReadError')
    // the vehicle away, nothing bounds it: a backup ahead of the table the reader knows may be honest, and its newer version stands
    const away: Record<string, HolderAnswer> = { ...answers, v: { peer: 'v', status: 'unavailable', error: 'down' } as HolderAnswer, c: value('c', '80', 2) }
    const alone = await quorumRead({ holders: ['v', 'L', 'b', 'c'], first: 'v', quorum: 2, retryDelay: 1, maxRounds: 1, unavailableWait: 0, random: () => 0.99, ask: async (p) => away[p] }).catch((e: Error) => e.message)
    expect(alone).toMatch(/but a newer version \(value@1000000\) was seen/)
  })
})
