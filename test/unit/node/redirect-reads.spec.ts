/**
 * When a chain's table counts as current (table news): a read whose proposer
 * does not answer skips its table lookup only while the table was news. A
 * table a holder's answer shows is a hint that is not news: it may be an old
 * one the holder kept, or replayed (a review: a reader that held none took it
 * for news and served the holder's old value as fresh). The proposer's own is.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { BackupTableStore, signTable } from '../../../src/backup/index.ts'
import { RedirectReads } from '../../../src/node/redirect-reads.ts'
import { readResponse, ReadResponse } from '../../../src/protocols/read/index.ts'

describe('node - redirect reads - table news', () => {
  let db: NodeDatabase | undefined
  let dir: string | undefined
  afterEach(async () => {
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  /** A reader with one connected member, which knows no table; `asked` counts the lookup's questions. */
  async function reader (): Promise<{ reads: RedirectReads, asked: () => number, chainId: string, member: string, signed: (epoch: number) => Promise<Uint8Array> }> {
    dir = await mkdtemp(join(tmpdir(), 'vguard-table-news-'))
    db = await openDatabase(dir)
    const tables = new BackupTableStore(db.sublevel('tables'))
    await tables.open()
    const key = await generateKeyPair('Ed25519')
    const chainId = peerIdFromPrivateKey(key).toString()
    const [self, member] = await Promise.all([0, 1].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    let asked = 0
    const reads = new RedirectReads({
      self: self.toString(),
      tables,
      read: {
        ask: async () => { asked++; return readResponse({ status: ReadResponse.Status.UNAVAILABLE, message: 'knows no table of this chain' }) },
        answer: async () => readResponse({ status: ReadResponse.Status.UNAVAILABLE })
      },
      members: () => [member],
      random: Math.random,
      started: () => true,
      stopped: () => false,
      stopSignal: () => new AbortController().signal,
      ownEpochFloor: () => undefined
    })
    const signed = async (epoch: number): Promise<Uint8Array> =>
      (await signTable(key, chainId, { chainId, epoch, active: [member.toString()], obsolete: [], height: epoch, tipHash: new Uint8Array(32), timestamp: 0 })).signed
    return { reads, asked: () => asked, chainId, member: member.toString(), signed }
  }

  it('a newer table a member shows is adopted but is no news: the next read without its proposer looks it up', async () => {
    const { reads, asked, chainId, member, signed } = await reader()
    expect(await reads.adoptShownTable(chainId, await signed(1), member)).toBe(true)
    const found = await reads.confirmTable(chainId, new Set())
    expect(asked()).toBe(1)
    expect(found.path.map(p => [p.peerId, p.outcome])).toEqual([[member, 'unavailable']])
    // the members answered: what they showed is the newest there is for now
    await reads.confirmTable(chainId, new Set())
    expect(asked()).toBe(1)
  })

  it('the table its proposer shows is news: no lookup', async () => {
    const { reads, asked, chainId, signed } = await reader()
    expect(await reads.adoptShownTable(chainId, await signed(1), chainId)).toBe(true)
    expect((await reads.confirmTable(chainId, new Set())).path).toEqual([])
    expect(asked()).toBe(0)
  })
})
