import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signTable, verifyTable, isNewer } from '../../../src/backup/index.ts'
import type { VerifiedTable } from '../../../src/backup/index.ts'
import { readWithRedirect, ReadRequest, ReadResponse, NoHolderReachableError } from '../../../src/protocols/read/index.ts'

const { Status, Role } = ReadResponse

function memoryTables (): { get: (c: string) => VerifiedTable | undefined, adopt: (s: Uint8Array, c?: string) => Promise<{ table: VerifiedTable, adopted: boolean }> } {
  const held = new Map<string, VerifiedTable>()
  return {
    get: (c) => held.get(c),
    adopt: async (signed, c) => {
      const v = await verifyTable(signed, c)
      const cur = held.get(v.table.chainId)
      if (!isNewer(v.table, cur?.table)) return { table: cur ?? v, adopted: false }
      held.set(v.table.chainId, v)
      return { table: v, adopted: true }
    }
  }
}

function response (r: Partial<ReadResponse>): ReadResponse {
  return { status: Status.OK, role: Role.ACTIVE, height: 0, epoch: 0, value: new Uint8Array(0), valueHeight: 0, blocks: [], table: new Uint8Array(0), tipHash: new Uint8Array(0), message: '', ...r }
}

async function setup (): Promise<{ a: string, sign: (epoch: number, active: string[], obsolete: string[]) => Promise<Uint8Array> }> {
  const key = await generateKeyPair('Ed25519')
  const a = peerIdFromPrivateKey(key).toString()
  return {
    a,
    sign: async (epoch, active, obsolete) => (await signTable(key, a, { chainId: a, epoch, active, obsolete, height: 5, tipHash: new Uint8Array(32), timestamp: 0 })).signed
  }
}

const keyRequest = (chainId: string): ReadRequest => ({ kind: ReadRequest.Kind.KEY, chainId, key: 'gps', height: 0, to: 0 })

describe('protocols - read - redirect', () => {
  it('the paper\'s figure 1: proposer offline, E redirects to B, B serves', async () => {
    const { a, sign } = await setup()
    const old = await sign(1, ['E', 'F'], [])
    const current = await sign(2, ['B', 'C'], ['E', 'F'])
    const tables = memoryTables()
    await tables.adopt(old)
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: 'G',
      proposer: a,
      tables,
      ask: async (peer) => {
        if (peer === a) throw new Error('connection refused')
        if (peer === 'E') return response({ status: Status.REDIRECT, epoch: 2, table: current as Uint8Array<ArrayBuffer> })
        if (peer === 'B') return response({ role: Role.ACTIVE, height: 5, epoch: 2, value: Uint8Array.of(1), valueHeight: 5 })
        throw new Error(`unexpected ${peer}`)
      }
    })
    expect(result.path.map(p => [p.peerId, p.outcome])).toEqual([[a, 'unreachable'], ['E', 'redirect'], ['B', 'served']])
    expect(result.servedBy).toBe('B')
    expect(result.epoch).toBe(2)
    expect(tables.get(a)?.table.epoch).toBe(2)
  })

  it('serves from an obsolete backup that was not released yet, marked stale', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    await tables.adopt(await sign(1, ['E'], []))
    const result = await readWithRedirect({
      request: keyRequest(a),
      self: 'G',
      proposer: a,
      tables,
      ask: async (peer) => {
        if (peer === a) throw new Error('offline')
        return response({ role: Role.STALE, height: 3, epoch: 1, value: Uint8Array.of(7), valueHeight: 3 })
      }
    })
    expect(result.stale).toBe(true)
    expect(result.path.at(-1)).toMatchObject({ peerId: 'E', outcome: 'stale', height: 3, epoch: 1 })
  })

  it('ignores a forged redirect table and fails listing whom it tried', async () => {
    const { a, sign } = await setup()
    const forged = (await signTable(await generateKeyPair('Ed25519'), a, { chainId: a, epoch: 9, active: ['M'], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed
    const tables = memoryTables()
    await tables.adopt(await sign(1, ['E'], []))
    const asked: string[] = []
    const err = await readWithRedirect({
      request: keyRequest(a),
      self: 'G',
      proposer: a,
      tables,
      ask: async (peer) => {
        asked.push(peer)
        if (peer === a) throw new Error('offline')
        return response({ status: Status.REDIRECT, epoch: 9, table: forged as Uint8Array<ArrayBuffer> })
      }
    }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(NoHolderReachableError)
    expect((err as NoHolderReachableError).tried.map(t => t.peerId)).toEqual([a, 'E'])
    expect(asked).not.toContain('M')
    expect(tables.get(a)?.table.epoch).toBe(1)
  })

  it('detects redirect loops and bounds hops', async () => {
    const { a, sign } = await setup()
    const tables = memoryTables()
    const t2 = await sign(2, ['E'], ['F'])
    await tables.adopt(await sign(1, ['F'], []))
    const asked: string[] = []
    await expect(readWithRedirect({
      request: keyRequest(a),
      self: 'G',
      tables,
      ask: async (peer) => {
        asked.push(peer)
        // F points to E, E (released again) points back to F's table
        return response({ status: Status.REDIRECT, epoch: 2, table: t2 as Uint8Array<ArrayBuffer> })
      }
    })).rejects.toThrow(NoHolderReachableError)
    expect(asked).toEqual(['F', 'E'])

    const many = Array.from({ length: 20 }, (_, i) => `P${i}`)
    const tables2 = memoryTables()
    await tables2.adopt(await sign(3, many, []))
    const asked2: string[] = []
    await expect(readWithRedirect({
      request: keyRequest(a), self: 'G', tables: tables2, maxHops: 4, ask: async (peer) => { asked2.push(peer); throw new Error('down') }
    })).rejects.toThrow(/tried/)
    expect(asked2).toHaveLength(4)
  })
})
