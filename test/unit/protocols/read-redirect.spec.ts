import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signTable, verifyTable, isNewer } from '../../../src/backup/index.ts'
import type { VerifiedTable } from '../../../src/backup/index.ts'
import { readWithRedirect, ReadRequest, readRequest, readResponse, ReadResponse, NoHolderReachableError } from '../../../src/protocols/read/index.ts'
import type { PathEntry, RedirectReadResult } from '../../../src/protocols/read/index.ts'
import { MAX_LOOKUP_ROUNDS } from '../../../src/protocols/read/constants.ts'
import { encodeBlock, tipOf } from '../../../src/chain/index.ts'
import type { Block } from '../../../src/chain/index.ts'
import { checkedBlockAnswer, wholeBlockAnswer } from '../../../src/node/block-answer.ts'
import { chainOf, nextBlock } from '../storage/helpers.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

const { Status, Role } = ReadResponse

/**
 * Real peer ids for the letters the scenarios name their vehicles by: a
 * backup table names peers as they write their ids, nothing else verifies.
 */
const spareIds = await madeUpPeerIds(160)
const idsByName = new Map<string, string>()
function P (name: string): string {
  let id = idsByName.get(name)
  if (id == null) {
    id = spareIds[idsByName.size]
    if (id == null) throw new Error('read-redirect.spec: more vehicles named than spare ids')
    idsByName.set(name, id)
  }
  return id
}

function memoryTables (): { get: (c: string) => VerifiedTable | undefined, adopt: (s: Uint8Array, c?: string) => Promise<{ table: VerifiedTable, adopted: boolean, shown: VerifiedTable }> } {
  const held = new Map<string, VerifiedTable>()
  return {
    get: (c) => held.get(c),
    adopt: async (signed, c) => {
      const v = await verifyTable(signed, c)
      const cur = held.get(v.table.chainId)
      if (!isNewer(v.table, cur?.table)) return { table: cur ?? v, adopted: false, shown: v }
      held.set(v.table.chainId, v)
      return { table: v, adopted: true, shown: v }
    }
  }
}

/** The tip hash the tables below name: an honest holder at a table's height reports it. */
const TIP = new Uint8Array(32)

function response (r: Partial<ReadResponse>): ReadResponse {
  return readResponse({ role: Role.ACTIVE, tipHash: TIP, ...r })
}

async function setup (): Promise<{ a: string, sign: (epoch: number, active: string[], obsolete: string[]) => Promise<Uint8Array> }> {
  const key = await generateKeyPair('Ed25519')
  const a = peerIdFromPrivateKey(key).toString()
  return {
    a,
    sign: async (epoch, active, obsolete) => (await signTable(key, a, { chainId: a, epoch, active, obsolete, height: 5, tipHash: TIP, timestamp: 0 })).signed
  }
}

const keyRequest = (chainId: string): ReadRequest => readRequest({ kind: ReadRequest.Kind.KEY, chainId, key: 'gps' })

describe('protocols - read - redirect', () => {
  it('the paper\'s figure 1: proposer offline, E redirects to B, B serves', async () => {
    const { a, sign } = await setup()
    const old = await sign(1, [P('E'), P('F')], [])
    const current = await sign(2, [P('B'), P('C')], [P('E'), P('F')])
    const tables = memoryTables()
    await tables.adopt(old)
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      ask: async (peer) => {
        if (peer === a) throw new Error('connection refused')
        if (peer === P('E')) return response({ status: Status.REDIRECT, epoch: 2, table: current as Uint8Array<ArrayBuffer> })
        if (peer === P('B')) return response({ role: Role.ACTIVE, height: 5, epoch: 2, value: Uint8Array.of(1), valueHeight: 5 })
        throw new Error(`unexpected ${peer}`)
      }
    })
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('E'), 'redirect'], [P('B'), 'served']])
    expect(result.servedBy).toBe(P('B'))
    expect(result.epoch).toBe(2)
    expect(tables.get(a)?.table.epoch).toBe(2)
  })

  it('a page of keys counts from the proposer or an active backup of the newest table; another holder\'s is a stale fallback', async () => {
    const { a, sign } = await setup()
    const keysRequest = readRequest({ kind: ReadRequest.Kind.KEYS, chainId: a, prefix: 'gps/', limit: 10 })
    const page = (keys: string[]): Partial<ReadResponse> => ({ height: 5, epoch: 2, entries: keys.map(key => ({ key, value: Uint8Array.of(1), height: 5, pruned: false })) })
    const tables = memoryTables()
    await tables.adopt(await sign(2, [P('B')], []))
    // H holds a copy (a booth member, say) at the table's height: up to date, but its keys may be incomplete
    const answers: Record<string, ReadResponse> = {
      [P('H')]: response({ role: Role.HOLDER, ...page(['gps/1']) }),
      [P('B')]: response({ role: Role.ACTIVE, ...page(['gps/1', 'gps/2']) })
    }
    const read = async (order: string[], proposerUp: boolean): Promise<RedirectReadResult> => await readWithRedirect({
      request: keysRequest,
      self: P('G'),
      proposer: a,
      via: order,
      tables,
      ask: async (peer) => {
        if (peer === a) {
          if (!proposerUp) throw new Error('offline')
          return response({ role: Role.PROPOSER, ...page(['gps/1', 'gps/2', 'gps/3']) })
        }
        const answer = answers[peer]
        if (answer == null) throw new Error(`unexpected ${peer}`)
        return answer
      }
    })
    const fromProposer = await read([P('H')], true)
    expect(fromProposer.servedBy).toBe(a)
    expect(fromProposer.response.entries.map(e => e.key)).toEqual(['gps/1', 'gps/2', 'gps/3'])
    // H is asked first, and passed over for B, which the table names active
    const fromBackup = await read([P('H')], false)
    expect(fromBackup.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('H'), 'stale'], [P('B'), 'served']])
    expect(fromBackup).toMatchObject({ servedBy: P('B'), stale: false })
    expect(fromBackup.path[1].error).toMatch(/neither the proposer nor an active backup/)
    // with B gone too, H's page is all there is: returned, flagged stale
    delete answers[P('B')]
    const fallback = await read([P('H')], false)
    expect(fallback).toMatchObject({ servedBy: P('H'), stale: true })
    expect(fallback.response.entries.map(e => e.key)).toEqual(['gps/1'])
    // a key (not a page of keys) from the same holder is served as before
    const key = await readWithRedirect({ request: keyRequest(a), self: P('G'), via: [P('H')], tables, ask: async () => response({ role: Role.HOLDER, height: 5, epoch: 2, value: Uint8Array.of(1), valueHeight: 5 }) })
    expect(key).toMatchObject({ servedBy: P('H'), stale: false })
  })

  it('serves from an obsolete backup that was not released yet, marked stale', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    await tables.adopt(await sign(1, [P('E')], []))
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      ask: async (peer) => {
        if (peer === a) throw new Error('offline')
        return response({ role: Role.STALE, height: 3, epoch: 1, value: Uint8Array.of(7), valueHeight: 3 })
      }
    })
    expect(result.stale).toBe(true)
    expect(result.path.at(-1)).toMatchObject({ peerId: P('E'), outcome: 'stale', height: 3, epoch: 1 })
  })

  it('ignores a forged redirect table and fails listing whom it tried', async () => {
    const { a, sign } = await setup()
    const forged = (await signTable(await generateKeyPair('Ed25519'), a, { chainId: a, epoch: 9, active: [P('M')], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed
    const tables = memoryTables()
    await tables.adopt(await sign(1, [P('E')], []))
    const asked: string[] = []
    const err = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      ask: async (peer) => {
        asked.push(peer)
        if (peer === a) throw new Error('offline')
        return response({ status: Status.REDIRECT, epoch: 9, table: forged as Uint8Array<ArrayBuffer> })
      }
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect((err as NoHolderReachableError).tried.map(t => t.peerId)).toEqual([a, P('E')])
    expect(asked).not.toContain(P('M'))
    expect(tables.get(a)?.table.epoch).toBe(1)
  })

  it('detects redirect loops and bounds hops', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    const t2 = await sign(2, [P('E')], [P('F')])
    await tables.adopt(await sign(1, [P('F')], []))
    const asked: string[] = []
    await expect(readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      tables,
      ask: async (peer) => {
        asked.push(peer)
        // F points to E, E (released again) points back to F's table
        return response({ status: Status.REDIRECT, epoch: 2, table: t2 as Uint8Array<ArrayBuffer> })
      }
    })).rejects.toThrow(NoHolderReachableError)
    expect(asked).toEqual([P('F'), P('E')])

    // a chain of released backups, each redirecting to the next with a newer table: 4 answers followed at most
    const chain = Array.from({ length: 10 }, (_, i) => P(`R${i}`))
    const redirects = await Promise.all(chain.map(async (_, i) => await sign(10 + i, [chain[i + 1] ?? P('R0')], [])))
    const tables2 = memoryTables()
    await tables2.adopt(await sign(9, [P('R0')], []))
    const asked2: string[] = []
    await expect(readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      tables: tables2,
      maxHops: 4,
      ask: async (peer) => { asked2.push(peer); return response({ status: Status.REDIRECT, epoch: 10, table: redirects[chain.indexOf(peer)] as Uint8Array<ArrayBuffer> }) }
    })).rejects.toThrow(/tried/)
    expect(asked2).toEqual([P('R0'), P('R1'), P('R2'), P('R3')])
  })

  /** A reader whose table names 20 backups. */
  async function manyBackups (): Promise<{ a: string, many: string[], tables: ReturnType<typeof memoryTables> }> {
    const { a, sign } = await setup()
    const many = Array.from({ length: 20 }, (_, i) => P(`P${i}`))
    const tables = memoryTables()
    await tables.adopt(await sign(3, many, []))
    return { a, many, tables }
  }

  it('stops asking at its timeout: holders out of reach, each slow to fail, do not hold a read for minutes', async () => {
    const { a, many, tables } = await manyBackups()
    const asked: string[] = []
    const err = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      tables,
      timeout: 200,
      ask: async (peer) => {
        asked.push(peer)
        await new Promise(resolve => setTimeout(resolve, 60))
        throw new Error('dial timed out')
      }
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect(asked.length).toBeGreaterThan(0)
    expect(asked.length).toBeLessThan(many.length)
    expect((err as NoHolderReachableError).tried).toHaveLength(asked.length)
  })

  it('holders out of reach are no hops: the one live backup behind many departed ones is asked', async () => {
    const { a, many, tables } = await manyBackups()
    const asked: string[] = []
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      tables,
      maxHops: 4,
      proposer: a,
      ask: async (peer) => {
        asked.push(peer)
        if (peer !== P('P19')) throw new Error('down')
        return response({ status: Status.OK, epoch: 3, height: 5, value: utf8.encode('fix'), valueHeight: 5 })
      }
    })
    expect(result).toMatchObject({ servedBy: P('P19'), stale: false })
    expect(asked).toEqual([a, ...many])
    expect(result.path.filter(p => p.outcome === 'unreachable')).toHaveLength(20)
  })
})

/** A chain owner that signs tables at chosen epochs and heights. */
async function owner (): Promise<{ a: string, sign: (epoch: number, height: number, active: string[], obsolete: string[], tipHash?: Uint8Array) => Promise<Uint8Array<ArrayBuffer>> }> {
  const key = await generateKeyPair('Ed25519')
  const a = peerIdFromPrivateKey(key).toString()
  return {
    a,
    sign: async (epoch, height, active, obsolete, tipHash = TIP) => (await signTable(key, a, { chainId: a, epoch, active, obsolete, height, tipHash, timestamp: 0 })).signed as Uint8Array<ArrayBuffer>
  }
}

const utf8 = new TextEncoder()

describe('protocols - read - redirect - a reader that knows no live holder', () => {
  it('looks the table up once the proposer fails, then asks its backups; the lookup is not a hop', async () => {
    const { a, sign } = await setup()
    const current = await sign(3, [P('B'), P('C')], [P('E')])
    const tables = memoryTables()
    const lookups: Array<ReadonlySet<string>> = []
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      maxHops: 2,
      lookup: async (asked) => {
        lookups.push(new Set(asked))
        await tables.adopt(current)
        return { path: [{ peerId: P('H'), outcome: 'unavailable' }, { peerId: P('E'), outcome: 'redirect', epoch: 3 }, { peerId: P('B'), outcome: 'redirect', epoch: 3 }], holders: [] }
      },
      ask: async (peer) => {
        if (peer === a || peer === P('C')) throw new Error('connection refused')
        if (peer === P('B')) return response({ role: Role.ACTIVE, height: 5, epoch: 3, value: Uint8Array.of(7), valueHeight: 5 })
        throw new Error(`unexpected ${peer}`)
      }
    })
    expect(lookups).toEqual([new Set([P('G'), a])])
    // B showed the table in the lookup and is a backup: it is still asked for the data
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('H'), 'unavailable'], [P('E'), 'redirect'], [P('B'), 'redirect'], [P('B'), 'served']])
    expect(result).toMatchObject({ servedBy: P('B'), epoch: 3, stale: false })
  })

  it('does not look up when a holder it knows serves; looks up again only among members not asked yet, until none is left', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    let calls = 0
    const served = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      lookup: async () => { calls++; return { path: [], holders: [] } },
      ask: async () => response({ role: Role.PROPOSER, height: 5, value: Uint8Array.of(1), valueHeight: 5 })
    })
    expect(served.servedBy).toBe(a)
    expect(calls).toBe(0)

    const useless = await sign(1, [P('X')], [])
    const err = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      lookup: async (exclude) => {
        calls++
        if (exclude.has(P('H'))) return { path: [], holders: [] }
        await tables.adopt(useless)
        return { path: [{ peerId: P('H'), outcome: 'redirect', epoch: 1 }], holders: [] }
      },
      ask: async (peer) => { throw new Error(`${peer} refused`) }
    }).catch((e: Error) => e)
    // the second lookup excluded H and found nobody else: the read ends there
    expect(calls).toBe(2)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    // whom it tried, the lookup included
    expect((err as NoHolderReachableError).tried.map(t => [t.peerId, t.outcome])).toEqual([[a, 'unreachable'], [P('H'), 'redirect'], [P('X'), 'unreachable']])
  })
})

describe('protocols - read - redirect - the last copy', () => {
  // the soak's case: the proposer left before releasing E, and its active backups B and C left too
  it('asks a holder the lookup found when the table\'s backups are gone: its copy comes back, flagged stale', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    await tables.adopt(await sign(3, [P('B'), P('C')], [P('E')]))
    const asked: string[] = []
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      lookup: async (exclude) => exclude.has(P('H')) ? { path: [], holders: [] } : { path: [{ peerId: P('H'), outcome: 'unavailable' }, { peerId: P('E'), outcome: 'redirect', epoch: 3, height: 5 }], holders: [P('E')] },
      ask: async (peer) => {
        asked.push(peer)
        // E heard the newest table (epoch 3, where it is obsolete) but was never released: its copy is at the table's height
        if (peer === P('E')) return response({ role: Role.STALE, height: 5, epoch: 3, value: Uint8Array.of(9), valueHeight: 5 })
        throw new Error('connection refused')
      }
    })
    expect(asked).toEqual([a, P('B'), P('C'), P('E')])
    // an obsolete backup says its copy may be old: the answer comes back flagged, but it comes back
    expect(result).toMatchObject({ servedBy: P('E'), stale: true, height: 5 })
    expect(result.response.value).toEqual(Uint8Array.of(9))
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('B'), 'unreachable'], [P('C'), 'unreachable'], [P('H'), 'unavailable'], [P('E'), 'redirect'], [P('E'), 'stale']])
  })

  it('looks up among the next members while the ones asked know only departed backups, at most MAX_LOOKUP_ROUNDS times', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    const table = await sign(3, [P('B'), P('C')], [P('E')])
    // eight members a round; the holder K is in the second eight
    const members = [...Array.from({ length: 8 }, (_, i) => P(`M${i}`)), P('K'), ...Array.from({ length: 7 }, (_, i) => P(`N${i}`))]
    const excluded: Array<ReadonlySet<string>> = []
    const lookup = async (exclude: ReadonlySet<string>): Promise<{ path: PathEntry[], holders: string[] }> => {
      excluded.push(exclude)
      const round = members.filter(m => !exclude.has(m)).slice(0, 8)
      await tables.adopt(table)
      return { path: round.map(peerId => ({ peerId, outcome: 'redirect' as const, epoch: 3 })), holders: round.filter(m => m === P('K')) }
    }
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      lookup,
      ask: async (peer) => {
        if (peer === P('K')) return response({ role: Role.ACTIVE, height: 5, epoch: 3, value: Uint8Array.of(2), valueHeight: 5 })
        throw new Error('connection refused')
      }
    })
    expect(excluded).toHaveLength(2)
    expect(excluded[1].has(P('M0')) && excluded[1].has(P('B'))).toBe(true)
    expect(result).toMatchObject({ servedBy: P('K'), epoch: 3 })

    // nobody holds it: the read stops after MAX_LOOKUP_ROUNDS lookups, however many members there are
    const many = Array.from({ length: 100 }, (_, i) => P(`P${i}`))
    let rounds = 0
    const err = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      lookup: async (exclude) => {
        rounds++
        return { path: many.filter(m => !exclude.has(m)).slice(0, 8).map(peerId => ({ peerId, outcome: 'redirect' as const, epoch: 3 })), holders: [] }
      },
      ask: async () => { throw new Error('connection refused') }
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect(rounds).toBe(MAX_LOOKUP_ROUNDS)
  })

  it('a holder with no table, found by the lookup, serves a reader that knows no table either', async () => {
    const { a } = await setup()
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables: memoryTables(),
      lookup: async (exclude) => exclude.has(P('K')) ? { path: [], holders: [] } : { path: [{ peerId: P('K'), outcome: 'holder', height: 2 }], holders: [P('K')] },
      ask: async (peer) => {
        if (peer === P('K')) return response({ role: Role.HOLDER, height: 2, value: Uint8Array.of(4), valueHeight: 2 })
        throw new Error('connection refused')
      }
    })
    expect(result).toMatchObject({ servedBy: P('K'), stale: false, height: 2 })
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('K'), 'holder'], [P('K'), 'served']])
  })
})

describe('protocols - read - redirect - staleness judged by the reader', () => {
  // QA's case: N4 was an active backup at epoch 1, was down while epoch 2 moved the chain to N5 and N6
  async function qa (): Promise<{ a: string, tables: ReturnType<typeof memoryTables>, epoch1: Uint8Array<ArrayBuffer> }> {
    const { a, sign } = await owner()
    const epoch1 = await sign(1, 1, [P('N3'), P('N4')], [])
    const tables = memoryTables()
    await tables.adopt(await sign(2, 2, [P('N5'), P('N6')], [P('N3'), P('N4')]))
    return { a, tables, epoch1 }
  }
  // N4 answers from its own (epoch 1) table: it believes it is active
  const fromN4 = (epoch1: Uint8Array<ArrayBuffer>): ReadResponse => response({ role: Role.ACTIVE, height: 1, epoch: 1, value: utf8.encode('old'), valueHeight: 1, table: epoch1 })

  it('an answer from an epoch older than the reader\'s table is stale, and the reader goes on to a current holder', async () => {
    const { a, tables, epoch1 } = await qa()
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('N7'),
      proposer: a,
      via: [P('N4')],
      tables,
      ask: async (peer) => {
        if (peer === P('N4')) return fromN4(epoch1)
        if (peer === P('N5')) return response({ role: Role.ACTIVE, height: 2, epoch: 2, value: utf8.encode('new'), valueHeight: 2 })
        throw new Error('down')
      }
    })
    expect(result).toMatchObject({ servedBy: P('N5'), stale: false, epoch: 2, height: 2 })
    expect(new TextDecoder().decode(result.response.value)).toBe('new')
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('N4'), 'stale'], [P('N5'), 'served']])
    expect(result.path[1].error).toMatch(/epoch 1 < 2/)
    // the old table it showed changes nothing here
    expect(tables.get(a)?.table.epoch).toBe(2)
  })

  describe('a reader whose own table is old: it was away with a backup of that table while the chain moved on', () => {
    // R holds epoch 1 (N4 active), as does N4, which believes it is active; members heard epoch 2 (N5)
    async function away (): Promise<{ a: string, tables: ReturnType<typeof memoryTables>, epoch1: Uint8Array<ArrayBuffer>, epoch2: Uint8Array<ArrayBuffer>, sign: Awaited<ReturnType<typeof owner>>['sign'] }> {
      const { a, sign } = await owner()
      const epoch1 = await sign(1, 1, [P('N4')], [])
      const tables = memoryTables()
      await tables.adopt(epoch1)
      return { a, tables, epoch1, epoch2: await sign(2, 2, [P('N5')], [P('N4')]), sign }
    }
    const ask = (epoch1: Uint8Array<ArrayBuffer>) => async (peer: string): Promise<ReadResponse> => {
      if (peer === P('N4')) return fromN4(epoch1)
      if (peer === P('N5')) return response({ role: Role.ACTIVE, height: 2, epoch: 2, value: utf8.encode('new'), valueHeight: 2 })
      throw new Error('down')
    }

    /** R reads the key, its proposer out of reach. */
    const readAway = async (a: string, tables: ReturnType<typeof memoryTables>, rest: Pick<Parameters<typeof readWithRedirect>[0], 'ask' | 'confirm'>): Promise<RedirectReadResult> =>
      await readWithRedirect({ request: keyRequest(a), self: P('R'), proposer: a, tables, ...rest })

    it('with the proposer out of reach, it looks the table up before it calls the backup\'s answer fresh, and reads the new one', async () => {
      const { a, tables, epoch1, epoch2 } = await away()
      const result = await readAway(a, tables, {
        confirm: async () => {
          await tables.adopt(epoch2)
          return { path: [{ peerId: P('X'), outcome: 'redirect', epoch: 2 }], holders: [] }
        },
        ask: ask(epoch1)
      })
      expect(result).toMatchObject({ servedBy: P('N5'), stale: false, epoch: 2, height: 2 })
      expect(new TextDecoder().decode(result.response.value)).toBe('new')
      expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('X'), 'redirect'], [P('N4'), 'stale'], [P('N5'), 'served']])
    })

    it('a lookup that finds nothing newer confirms its table: the backup\'s answer is fresh, and one lookup was enough', async () => {
      const { a, tables, epoch1 } = await away()
      let lookups = 0
      const result = await readAway(a, tables, {
        confirm: async () => { lookups++; return { path: [{ peerId: P('X'), outcome: 'redirect', epoch: 1 }], holders: [] } },
        ask: ask(epoch1)
      })
      expect(result).toMatchObject({ servedBy: P('N4'), stale: false, epoch: 1 })
      expect(lookups).toBe(1)
    })

    it('a proposer that answers without a table (it lost its chain) confirms nothing: the lookup still runs', async () => {
      const { a, tables, epoch1, epoch2 } = await away()
      const result = await readAway(a, tables, {
        confirm: async () => {
          await tables.adopt(epoch2)
          return { path: [{ peerId: P('X'), outcome: 'redirect', epoch: 2 }], holders: [] }
        },
        ask: async (peer) => peer === a ? response({ status: Status.UNAVAILABLE, message: 'chain not held here' }) : await ask(epoch1)(peer)
      })
      expect(result).toMatchObject({ servedBy: P('N5'), stale: false, epoch: 2 })
    })

    it('a redirect that shows a newer table is followed, and within that read stands in for the proposer\'s word (no lookup, as the paper\'s read goes); it is no news for later reads', async () => {
      const { a, tables, epoch2 } = await away()
      let lookups = 0
      let news = 0
      const result = await readWithRedirect({
        request: keyRequest(a),
        self: P('R'),
        proposer: a,
        tables,
        news: () => { news++ },
        confirm: async () => { lookups++; return { path: [{ peerId: P('X'), outcome: 'redirect', epoch: 2 }], holders: [] } },
        ask: async (peer) => peer === P('N4') ? response({ status: Status.REDIRECT, epoch: 2, table: epoch2 }) : await ask(epoch2)(peer)
      })
      expect(result).toMatchObject({ servedBy: P('N5'), stale: false })
      expect(lookups).toBe(0)
      expect(news).toBe(0)
      expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('N4'), 'redirect'], [P('N5'), 'served']])
    })

    it('a redirect that shows a table older than the reader\'s confirms nothing: the lookup runs before a backup of the reader\'s table is called fresh', async () => {
      const { a, tables, epoch1, epoch2, sign } = await away()
      // R holds epoch 2 (N5), heard from no proposer; the chain is at epoch 3 (N6) by now
      await tables.adopt(epoch2)
      const epoch3 = await sign(3, 3, [P('N6')], [P('N5')])
      let lookups = 0
      const result = await readWithRedirect({
        request: keyRequest(a),
        self: P('R'),
        proposer: a,
        // N4 redirects with the epoch-1 table (a replay, or a pointer from long ago)
        via: [P('N4')],
        tables,
        confirm: async () => {
          lookups++
          await tables.adopt(epoch3)
          return { path: [{ peerId: P('X'), outcome: 'redirect', epoch: 3 }], holders: [] }
        },
        ask: async (peer) => {
          if (peer === P('N4')) return response({ status: Status.REDIRECT, epoch: 1, table: epoch1 })
          if (peer === P('N5')) return response({ role: Role.ACTIVE, height: 2, epoch: 2, value: utf8.encode('replaced'), valueHeight: 2 })
          if (peer === P('N6')) return response({ role: Role.ACTIVE, height: 3, epoch: 3, value: utf8.encode('newest'), valueHeight: 3 })
          throw new Error('down')
        }
      })
      expect(lookups).toBe(1)
      expect(new TextDecoder().decode(result.response.value)).toBe('newest')
      expect(result).toMatchObject({ servedBy: P('N6'), stale: false, epoch: 3 })
    })

    it('a table a holder shows, newer than the reader\'s, is no news: a reader that held none looks it up before it believes the holder', async () => {
      const { a, epoch1, epoch2 } = await away()
      const tables = memoryTables()
      let news = 0
      const result = await readWithRedirect({
        request: keyRequest(a),
        self: P('R'),
        proposer: a,
        // N4, back from away (or replaying), shows its epoch-1 table and answers as active
        via: [P('N4')],
        tables,
        news: () => { news++ },
        confirm: async () => {
          await tables.adopt(epoch2)
          return { path: [{ peerId: P('X'), outcome: 'redirect', epoch: 2 }], holders: [] }
        },
        ask: ask(epoch1)
      })
      expect(result).toMatchObject({ servedBy: P('N5'), stale: false, epoch: 2 })
      expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('X'), 'redirect'], [P('N4'), 'stale'], [P('N5'), 'served']])
      expect(news).toBe(0)
    })

    it('the proposer\'s own table is news: no lookup, and the caller hears of it', async () => {
      const { a, tables, epoch2 } = await away()
      let news = 0
      let lookups = 0
      const result = await readWithRedirect({
        request: keyRequest(a),
        self: P('R'),
        proposer: a,
        tables,
        news: () => { news++ },
        confirm: async () => { lookups++; return { path: [], holders: [] } },
        // the proposer pruned the value (retention) but shows its table
        ask: async (peer) => peer === a ? response({ role: Role.PROPOSER, status: Status.UNAVAILABLE, epoch: 2, height: 2, table: epoch2 }) : await ask(epoch2)(peer)
      })
      expect(result).toMatchObject({ servedBy: P('N5'), stale: false, epoch: 2 })
      expect(news).toBe(1)
      expect(lookups).toBe(0)
    })
  })

  it('returns the stale answer, flagged, only when no current holder is reachable', async () => {
    const { a, tables, epoch1 } = await qa()
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('N7'),
      proposer: a,
      via: [P('N4')],
      tables,
      ask: async (peer) => {
        if (peer === P('N4')) return fromN4(epoch1)
        throw new Error('down')
      }
    })
    expect(result).toMatchObject({ servedBy: P('N4'), stale: true, epoch: 1, height: 1 })
    expect(new TextDecoder().decode(result.response.value)).toBe('old')
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('N4'), 'stale'], [P('N5'), 'unreachable'], [P('N6'), 'unreachable']])
  })

  it('an answer at the current epoch but below the table\'s height is stale (a backup the round could not refresh)', async () => {
    const { a, sign } = await owner()
    const tables = memoryTables()
    const t = await sign(3, 7, [P('B'), P('C')], [])
    await tables.adopt(t)
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      ask: async (peer) => {
        if (peer === P('B')) return response({ role: Role.ACTIVE, height: 5, epoch: 3, value: Uint8Array.of(5), valueHeight: 5, table: t })
        if (peer === P('C')) return response({ role: Role.ACTIVE, height: 7, epoch: 3, value: Uint8Array.of(7), valueHeight: 7, table: t })
        throw new Error('down')
      }
    })
    expect(result).toMatchObject({ servedBy: P('C'), stale: false, height: 7 })
    expect(result.path.map(p => p.outcome)).toEqual(['unreachable', 'stale', 'served'])
    expect(result.path[1].error).toMatch(/height 5 < 7/)
  })

  it('a NOT_FOUND from an "active" backup of an old epoch is not authoritative', async () => {
    const { a, tables, epoch1 } = await qa()
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('N7'),
      proposer: a,
      via: [P('N4')],
      tables,
      ask: async (peer) => {
        if (peer === P('N4')) return response({ status: Status.NOT_FOUND, role: Role.ACTIVE, height: 1, epoch: 1, table: epoch1 })
        if (peer === a || peer === P('N5')) throw new Error('down')
        return response({ role: Role.ACTIVE, height: 2, epoch: 2, value: Uint8Array.of(2), valueHeight: 2 })
      }
    })
    expect(result).toMatchObject({ servedBy: P('N6'), stale: false })
    expect(result.path.map(p => p.outcome)).toEqual(['unreachable', 'not-found', 'unreachable', 'served'])
  })

  it('an unreleased obsolete backup no longer ends the read when a current backup answers', async () => {
    const { a, sign } = await owner()
    const tables = memoryTables()
    await tables.adopt(await sign(2, 4, [P('B')], [P('E')]))
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      via: [P('E')],
      tables,
      ask: async (peer) => {
        if (peer === P('E')) return response({ role: Role.STALE, height: 4, epoch: 2, value: Uint8Array.of(1), valueHeight: 4 })
        return response({ role: Role.ACTIVE, height: 4, epoch: 2, value: Uint8Array.of(2), valueHeight: 4 })
      }
    })
    expect(result).toMatchObject({ servedBy: P('B'), stale: false })
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[P('E'), 'stale'], [P('B'), 'served']])
  })

  it('of several stale answers it returns the freshest', async () => {
    const { a, sign } = await owner()
    const tables = memoryTables()
    await tables.adopt(await sign(5, 9, [P('B'), P('C'), P('D')], []))
    const heights: Record<string, number> = { [P('B')]: 3, [P('C')]: 8, [P('D')]: 6 }
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      tables,
      ask: async (peer) => response({ role: Role.ACTIVE, height: heights[peer], epoch: 5, value: Uint8Array.of(heights[peer]), valueHeight: heights[peer] })
    })
    expect(result).toMatchObject({ servedBy: P('C'), stale: true, height: 8 })
    expect(result.path.map(p => p.outcome)).toEqual(['stale', 'stale', 'stale'])
  })

  it('a reader without a table takes the first answer as it is (nothing to compare with)', async () => {
    const { a, epoch1 } = await qa()
    const result = await readWithRedirect({
      request: keyRequest(a), self: P('N7'), via: [P('N4')], tables: memoryTables(), ask: async () => fromN4(epoch1)
    })
    expect(result).toMatchObject({ servedBy: P('N4'), stale: false, epoch: 1 })
  })

  it('a FORBIDDEN answer is a refusal, listed when the read fails', async () => {
    const { a, tables } = await qa()
    const err = await readWithRedirect({
      request: keyRequest(a),
      self: P('N7'),
      proposer: a,
      tables,
      ask: async () => response({ status: Status.FORBIDDEN, message: 'not a member of this network' })
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect((err as NoHolderReachableError).tried).toEqual([
      { peerId: a, outcome: 'refused', error: 'not a member of this network' },
      { peerId: P('N5'), outcome: 'refused', error: 'not a member of this network' },
      { peerId: P('N6'), outcome: 'refused', error: 'not a member of this network' }
    ])
  })
})

// the probe's lying backup: what it reports is checked against the tables the reader verified
describe('protocols - read - redirect - answers a holder cannot back', () => {
  const blockRequest = (chainId: string, height: number): ReadRequest => readRequest({ kind: ReadRequest.Kind.BLOCK, chainId, height })
  const blockAnswer = (block: Block, r: Partial<ReadResponse> = {}): ReadResponse =>
    response({ height: block.header.height, blocks: [encodeBlock(block) as Uint8Array<ArrayBuffer>], tipHash: block.hash as Uint8Array<ArrayBuffer>, ...r })
  // the node's check (VGuardDB.readRemote)
  const check = (req: ReadRequest, res: ReadResponse, newest: VerifiedTable | undefined): ReadResponse => checkedBlockAnswer(req, res, newest?.table)

  async function twoBlocks (): Promise<{ a: string, sign: Awaited<ReturnType<typeof owner>>['sign'], b1: Block, b2: Block, forged: Block }> {
    const { a, sign } = await owner()
    const [b1, b2] = chainOf(a, 2)
    // made up: it hashes right and points to the real block 1
    const forged = nextBlock(tipOf(b1), { transactions: [{ key: 'k2', value: utf8.encode('made up') }] })
    return { a, sign, b1, b2, forged }
  }

  it('a block at the height of the reader\'s table that is not the tip it names is an error, and the next holder serves', async () => {
    const { a, sign, b2, forged } = await twoBlocks()
    const tables = memoryTables()
    await tables.adopt(await sign(3, 2, [P('B'), P('C')], [], b2.hash))
    for (const tipHash of [forged.hash, b2.hash]) {
      const result = await readWithRedirect({
        request: blockRequest(a, 2),
        self: P('G'),
        proposer: a,
        tables,
        check,
        ask: async (peer) => {
          // B reports its own tip, or the table's to pass for current: its block gives it away either way
          if (peer === P('B')) return blockAnswer(forged, { epoch: 3, tipHash: tipHash as Uint8Array<ArrayBuffer> })
          if (peer === P('C')) return blockAnswer(b2, { epoch: 3 })
          throw new Error('down')
        }
      })
      expect(result).toMatchObject({ servedBy: P('C'), stale: false })
      expect(result.response.blocks).toEqual([encodeBlock(b2)])
      expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('B'), 'error'], [P('C'), 'served']])
      expect(result.path[1].error).toMatch(/^blocks that do not verify: block 2 of .* is not the tip its signed table names \(epoch 3/)
    }
  })

  it('a block whose payload a holder pruned does not end the read: a holder with it whole serves, else the pruned one does', async () => {
    const { a, sign, b2 } = await twoBlocks()
    const pruned: Block = { ...b2, payload: undefined }
    const tables = memoryTables()
    await tables.adopt(await sign(3, 2, [P('X'), P('Z')], [], b2.hash))
    const read = async (zUp: boolean): Promise<RedirectReadResult> => await readWithRedirect({
      request: blockRequest(a, 2),
      self: P('G'),
      proposer: a,
      tables,
      check,
      whole: wholeBlockAnswer,
      ask: async (peer) => {
        if (peer === P('X')) return blockAnswer(pruned, { epoch: 3 })
        if (peer === P('Z') && zUp) return blockAnswer(b2, { epoch: 3 })
        throw new Error('down')
      }
    })
    const whole = await read(true)
    expect(whole).toMatchObject({ servedBy: P('Z'), stale: false })
    expect(whole.response.blocks).toEqual([encodeBlock(b2)])
    expect(whole.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('X'), 'pruned'], [P('Z'), 'served']])
    // nobody has it whole: the header X kept (it still verifies) is the answer, not an error
    const header = await read(false)
    expect(header).toMatchObject({ servedBy: P('X'), stale: false })
    expect(header.response.blocks).toEqual([encodeBlock(pruned)])
    expect(header.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], [P('X'), 'pruned'], [P('Z'), 'unreachable']])
  })

  it('judges the blocks against the newer table the same answer carries', async () => {
    const { a, sign, b2, forged } = await twoBlocks()
    const tables = memoryTables()
    // the reader's table is older than block 2; the liar shows the real newer table, which names block 2
    await tables.adopt(await sign(2, 1, [P('B')], []))
    const current = await sign(3, 2, [P('B'), P('C')], [], b2.hash)
    const err = await readWithRedirect({
      request: blockRequest(a, 2),
      self: P('G'),
      proposer: a,
      tables,
      check,
      ask: async (peer) => {
        if (peer === P('B')) return blockAnswer(forged, { epoch: 3, table: current })
        throw new Error('down')
      }
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect((err as NoHolderReachableError).tried.map(t => [t.peerId, t.outcome])).toEqual([[a, 'unreachable'], [P('B'), 'error'], [P('C'), 'unreachable']])
    expect(tables.get(a)?.table.epoch).toBe(3)
  })

  it('a holder at the table\'s height with another tip answers from another chain: invalid, neither served nor kept', async () => {
    const { a, sign } = await owner()
    const tables = memoryTables()
    const t = await sign(3, 2, [P('B'), P('C')], [])
    await tables.adopt(t)
    const other = Uint8Array.from({ length: 32 }, () => 7)
    const ask = (c: ReadResponse | Error) => async (peer: string): Promise<ReadResponse> => {
      if (peer === P('B')) return response({ height: 2, epoch: 3, tipHash: other, value: utf8.encode('forked'), valueHeight: 2, table: t })
      if (peer === P('C') && !(c instanceof Error)) return c
      throw c instanceof Error ? c : new Error('down')
    }
    const result = await readWithRedirect({ request: keyRequest(a), self: P('G'), proposer: a, tables, ask: ask(response({ height: 2, epoch: 3, value: utf8.encode('real'), valueHeight: 2 })) })
    expect(result).toMatchObject({ servedBy: P('C'), stale: false })
    expect(result.path[1]).toMatchObject({ peerId: P('B'), outcome: 'invalid' })
    expect(result.path[1].error).toMatch(/tip at height 2 is not the one the signed table of epoch 3 names/)
    // nobody else: the forked answer is no fallback either (an absence from it neither)
    for (const status of [Status.OK, Status.NOT_FOUND]) {
      const err = await readWithRedirect({
        request: keyRequest(a), self: P('G'), proposer: a, tables, ask: async (peer) => peer === P('B') ? response({ status, height: 2, epoch: 3, tipHash: other, table: t }) : await Promise.reject(new Error('down'))
      }).catch((e: Error) => e)
      expect(err).toBeInstanceOf(NoHolderReachableError)
      expect((err as NoHolderReachableError).tried.find(p => p.peerId === P('B'))?.outcome).toBe('invalid')
    }
  })

  it('an epoch claimed without its signed table is invalid, never served nor kept as a fallback', async () => {
    const { a, sign } = await owner()
    const epoch2 = await sign(2, 2, [P('B'), P('C')], [])
    const made = (r: Partial<ReadResponse>): ReadResponse => response({ height: 99, epoch: 99, value: utf8.encode('made up'), valueHeight: 99, ...r })
    // no table, a table of a lower epoch, a table that does not verify; a reader that holds epoch 2, or none
    for (const [claim, held] of [[made({}), epoch2], [made({ table: epoch2 }), epoch2], [made({ table: epoch2 }), undefined], [made({}), undefined], [made({ table: Uint8Array.of(1, 2, 3) }), epoch2]] as const) {
      const tables = memoryTables()
      if (held != null) await tables.adopt(held)
      const err = await readWithRedirect({
        request: keyRequest(a),
        self: P('G'),
        proposer: a,
        via: [P('L')],
        tables,
        ask: async (peer) => peer === P('L') ? claim : await Promise.reject(new Error('down'))
      }).catch((e: Error) => e)
      expect(err).toBeInstanceOf(NoHolderReachableError)
      const liar = (err as NoHolderReachableError).tried.find(p => p.peerId === P('L'))
      expect(liar).toMatchObject({ outcome: 'invalid' })
      expect(liar?.error).toMatch(/epoch 99 claimed without its signed table \(the reader's newest is (epoch 2|none)\)/)
    }
    // with a current backup behind it, that one serves
    const tables = memoryTables()
    await tables.adopt(epoch2)
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      via: [P('L')],
      tables,
      ask: async (peer) => peer === P('L') ? made({}) : response({ height: 2, epoch: 2, value: utf8.encode('real'), valueHeight: 2, table: epoch2 })
    })
    expect(result).toMatchObject({ servedBy: P('B'), stale: false, epoch: 2 })
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[P('L'), 'invalid'], [P('B'), 'served']])
  })

  it('a value written above the chain height its holder reports contradicts itself: invalid, the next holder serves', async () => {
    const { a, sign } = await owner()
    const tables = memoryTables()
    await tables.adopt(await sign(2, 5, [P('B'), P('C')], []))
    // B reports its epoch and tip truthfully, and a value height of its own making: served as fresh, that height went to the user (a review)
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: P('G'),
      proposer: a,
      tables,
      ask: async (peer) => {
        if (peer === a) throw new Error('offline')
        if (peer === P('B')) return response({ role: Role.ACTIVE, height: 5, epoch: 2, value: Uint8Array.of(9), valueHeight: 1_000_000 })
        return response({ role: Role.ACTIVE, height: 5, epoch: 2, value: Uint8Array.of(1), valueHeight: 4 })
      }
    })
    expect(result).toMatchObject({ servedBy: P('C'), stale: false })
    expect(result.path.find(p => p.peerId === P('B'))).toMatchObject({ outcome: 'invalid', error: 'value written at height 1000000 of a chain held up to 5' })
  })

  it('a NOT_FOUND counts as the chain\'s only from its proposer or a backup the reader\'s table names active, with an epoch it can back', async () => {
    const { a, sign } = await owner()
    const tables = memoryTables()
    const t = await sign(2, 2, [P('B'), P('C')], [])
    await tables.adopt(t)
    const absent = (r: Partial<ReadResponse>): ReadResponse => response({ status: Status.NOT_FOUND, role: Role.ACTIVE, height: 2, epoch: 2, ...r })
    const liars: Array<[string, ReadResponse, string]> = [
      // an "active" backup with a made-up epoch, one the table does not name, a "proposer" that is not the chain's
      [P('L'), absent({ epoch: 99, height: 99 }), 'invalid'],
      [P('M'), absent({ table: t }), 'not-found'],
      [P('N'), absent({ role: Role.PROPOSER }), 'not-found']
    ]
    for (const [liar, answer, outcome] of liars) {
      const result = await readWithRedirect({
        request: keyRequest(a),
        self: P('G'),
        via: [liar],
        tables,
        ask: async (peer) => peer === liar ? answer : response({ height: 2, epoch: 2, value: utf8.encode('there'), valueHeight: 2 })
      })
      expect(result).toMatchObject({ servedBy: P('B'), stale: false })
      expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[liar, outcome], [P('B'), 'served']])
    }
    // the backup the table names and the proposer itself still speak for the chain
    for (const [peer, role] of [[P('B'), Role.ACTIVE], [a, Role.PROPOSER]] as const) {
      const result = await readWithRedirect({ request: keyRequest(a), self: P('G'), via: [peer], tables, ask: async () => absent({ role }) })
      expect(result).toMatchObject({ servedBy: peer, stale: false })
      expect(result.response.status).toBe(Status.NOT_FOUND)
    }
  })

  it('a stale answer kept for later is checked again against a newer table shown after it', async () => {
    const { a, sign, b1, b2, forged } = await twoBlocks()
    const tables = memoryTables()
    await tables.adopt(await sign(1, 1, [P('E')], [], b1.hash))
    const epoch2 = await sign(2, 2, [P('F')], [P('E')], b2.hash)
    const err = await readWithRedirect({
      request: blockRequest(a, 2),
      self: P('G'),
      via: [P('E'), P('X')],
      tables,
      check,
      ask: async (peer) => {
        // E, obsolete, says so: kept; X then shows the newer table, whose tip is not E's block 2
        if (peer === P('E')) return blockAnswer(forged, { role: Role.STALE, epoch: 1 })
        if (peer === P('X')) return response({ status: Status.REDIRECT, epoch: 2, table: epoch2 })
        throw new Error('down')
      }
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect((err as NoHolderReachableError).tried.map(t => [t.peerId, t.outcome])).toEqual([[P('E'), 'error'], [P('X'), 'redirect'], [P('F'), 'unreachable']])
  })

  it('a vehicle that lost its database reads its own chain: an answer below the epoch it had reached is stale, whatever role the holder claims', async () => {
    const { a, sign } = await setup()
    // E was away when the chain moved on: its table of epoch 1 still names it active, and it lacks the key
    const old = await sign(1, [P('E')], [])
    const read = async (floorEpoch?: number, status = Status.NOT_FOUND): Promise<RedirectReadResult> => await readWithRedirect({
      request: keyRequest(a),
      self: a,
      proposer: a,
      tables: memoryTables(),
      via: [P('E')],
      floorEpoch,
      ask: async (peer) => {
        if (peer !== P('E')) throw new Error(`unexpected ${peer}`)
        return response({ status, role: Role.ACTIVE, height: 5, epoch: 1, table: old as Uint8Array<ArrayBuffer>, ...(status === Status.OK ? { value: Uint8Array.of(1), valueHeight: 5 } : {}) })
      }
    })
    // without the floor, E's absence speaks for the chain
    expect((await read()).stale).toBe(false)
    const absent = await read(3)
    expect(absent.stale).toBe(true)
    expect(absent.response.status).toBe(Status.NOT_FOUND)
    expect(absent.path).toEqual([expect.objectContaining({ peerId: P('E'), outcome: 'not-found', error: 'behind the epoch the chain is known to have reached: 1 < 3' })])
    const value = await read(3, Status.OK)
    expect(value.stale).toBe(true)
    expect(value.path).toEqual([expect.objectContaining({ peerId: P('E'), outcome: 'stale' })])
    // a floor the holder's epoch reaches changes nothing
    expect((await read(1)).stale).toBe(false)
  })
})
