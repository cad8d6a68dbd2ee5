/** The table lookup of a reader that knows no live holder (src/node/table-lookup.ts), over a fake `ask`. */
import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { signTable, verifyTable, isNewer } from '../../../src/backup/index.ts'
import type { VerifiedTable } from '../../../src/backup/index.ts'
import { ReadRequest, ReadResponse, readResponse } from '../../../src/protocols/read/index.ts'
import { lookupTable } from '../../../src/node/table-lookup.ts'

const { Status, Role } = ReadResponse

function response (r: Partial<ReadResponse>): ReadResponse {
  return readResponse(r)
}

async function peer (): Promise<{ id: PeerId, key: Awaited<ReturnType<typeof generateKeyPair>> }> {
  const key = await generateKeyPair('Ed25519')
  return { id: peerIdFromPrivateKey(key), key }
}

describe('node - table lookup', () => {
  it('adopts the newest verified table, refuses a forged one, and reports every member asked', async () => {
    const owner = await peer()
    const chainId = owner.id.toString()
    const [old, fresh, forger, quiet, refusing, gone, keeper, excluded] = await Promise.all(Array.from({ length: 8 }, async () => (await peer()).id))
    const table = async (key: typeof owner.key, epoch: number): Promise<Uint8Array> =>
      (await signTable(key, chainId, { chainId, epoch, active: [keeper.toString(), excluded.toString()], obsolete: [], height: epoch, tipHash: new Uint8Array(32), timestamp: 0 })).signed
    const answers = new Map<string, ReadResponse | Error>([
      [old.toString(), response({ status: Status.REDIRECT, table: await table(owner.key, 1) as Uint8Array<ArrayBuffer> })],
      // a backup: it holds the chain and shows its table
      [fresh.toString(), response({ role: Role.ACTIVE, height: 3, epoch: 3, table: await table(owner.key, 3) as Uint8Array<ArrayBuffer> })],
      // holds a copy but knows no table (it never heard one)
      [keeper.toString(), response({ height: 2 })],
      // a table for this chain signed by someone else: not the owner's, never adopted
      [forger.toString(), response({ status: Status.REDIRECT, table: await table((await peer()).key, 9) as Uint8Array<ArrayBuffer> })],
      [quiet.toString(), response({ status: Status.UNAVAILABLE, message: 'chain not held here' })],
      [refusing.toString(), response({ status: Status.FORBIDDEN, message: 'not a member of this network' })],
      [gone.toString(), new Error('connection refused')]
    ])
    const held = new Map<string, VerifiedTable>()
    const asked: ReadRequest[] = []
    const { path: entries, holders } = await lookupTable({
      chainId,
      peers: [old, fresh, forger, quiet, refusing, gone, keeper, excluded],
      exclude: new Set([excluded.toString()]),
      random: () => 0.5,
      ask: async (p, req) => {
        asked.push(req)
        const a = answers.get(p.toString())
        if (a == null) throw new Error(`asked an excluded peer ${p.toString()}`)
        if (a instanceof Error) throw a
        return a
      },
      adopt: async (signed, id) => {
        const v = await verifyTable(signed, id)
        const cur = held.get(id)
        if (!isNewer(v.table, cur?.table)) return { table: cur ?? v, adopted: false }
        held.set(id, v)
        return { table: v, adopted: true }
      }
    })
    expect(asked).toHaveLength(7)
    expect(asked.every(r => r.kind === ReadRequest.Kind.TIP && r.chainId === chainId)).toBe(true)
    const outcome = Object.fromEntries(entries.map(e => [e.peerId, e.outcome]))
    expect(outcome).toEqual({
      [old.toString()]: 'redirect',
      [fresh.toString()]: 'redirect',
      [forger.toString()]: 'invalid',
      [quiet.toString()]: 'unavailable',
      [refusing.toString()]: 'refused',
      [gone.toString()]: 'unreachable',
      [keeper.toString()]: 'holder'
    })
    expect(held.get(chainId)?.table.epoch).toBe(3)
    // the two that answered the tip hold a copy: the reader may ask them for the data
    expect(holders.sort()).toEqual([fresh.toString(), keeper.toString()].sort())
    expect(entries.find(e => e.peerId === keeper.toString())).toMatchObject({ height: 2 })
  })

  it('asks at most `limit` members', async () => {
    const owner = await peer()
    const peers = await Promise.all(Array.from({ length: 12 }, async () => (await peer()).id))
    let asked = 0
    const { path: entries, holders } = await lookupTable({
      chainId: owner.id.toString(),
      peers,
      exclude: new Set(),
      random: Math.random,
      ask: async () => { asked++; return response({ status: Status.UNAVAILABLE }) },
      adopt: async () => { throw new Error('no table to adopt') }
    })
    expect(asked).toBe(8)
    expect(entries).toHaveLength(8)
    expect(holders).toEqual([])
  })
})
