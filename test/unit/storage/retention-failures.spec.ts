import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore, CHAINS_SUBLEVEL } from '../../../src/storage/level.ts'
import { ChainKeys } from '../../../src/storage/keys.ts'
import { applyRetention, StorageMaster } from '../../../src/storage/retention.ts'
import type { RetentionReport } from '../../../src/storage/retention.ts'
import { chainOf, collect, enc } from './helpers.ts'

const value = (h: number): Uint8Array => enc.encode(String(h).padStart(100, '0'))
const heights = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

/**
 * One chain a run cannot read (a block record cut short on disk: bit rot, a
 * torn sector) among chains it can: the run goes on with the others, and says
 * which chain it left as it is and why.
 */
describe('storage - retention with a chain it cannot read', () => {
  let dir: string
  let database: NodeDatabase | undefined
  let store: LevelChainStore | undefined
  /** bad's block 2 as it was written, to mend it with */
  let whole: Uint8Array | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-retention-'))
    database = await openDatabase(dir)
    store = await LevelChainStore.open(database)
    for (const chainId of ['a', 'bad', 'c']) {
      await store.appendMany(chainOf(chainId, 5, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    }
    await store.close()
    // the record of bad's block 2 cut short on disk (open() checks no record below the durable height)
    const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    const record = await database.db.get(keys.block('bad', 2))
    if (record == null) throw new Error('no record to corrupt')
    whole = record
    await database.db.put(keys.block('bad', 2), record.subarray(0, record.byteLength - 20))
    store = await LevelChainStore.open(database)
  })

  afterEach(async () => {
    await store?.close()
    await database?.close()
    store = undefined
    database = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const prunedBlocks = async (chainId: string): Promise<number | undefined> => (await store?.info(chainId))?.prunedBlocks

  it('by age: the other chains are pruned, and the chain it cannot read is reported and left as it is', async () => {
    if (store == null) throw new Error('no store')
    const report = await applyRetention(store, { retention: 1_000 }, 100_000)
    expect(report.pruned).toEqual({ a: heights(5), c: heights(5) })
    expect(report.failed).toEqual({ bad: expect.stringContaining('corrupt block record') })
    expect(await prunedBlocks('bad')).toBe(0)
    expect((await collect(store.headers('bad', { to: 1 }))).map(h => h.pruned)).toEqual([false])
  })

  it('by size: the bound is still enforced over the chains it can read', async () => {
    if (store == null) throw new Error('no store')
    const size = (await store.getBlock('a', 1))?.header.payloadBytes ?? 0
    // 15 payloads held, room for 2: every block of a and c goes; bad's stay, so the run ends over its bound
    const report = await applyRetention(store, { maxBytes: 2 * size }, 100_000)
    expect(report.pruned).toEqual({ a: heights(5), c: heights(5) })
    expect(report.failed).toEqual({ bad: expect.stringContaining('corrupt block record') })
    expect(report.overBound).toBe(true)
    expect(await prunedBlocks('bad')).toBe(0)
  })

  it('the storage master tells of the chain it left, and its later runs go on', async () => {
    if (store == null) throw new Error('no store')
    const reports: RetentionReport[] = []
    let now = 4_500
    const master = new StorageMaster({ store, policy: { retention: 1_000 }, capacity: 1e9, now: () => now, onReport: r => { reports.push(r) } })
    expect((await master.run()).pruned).toEqual({ a: [1, 2, 3], c: [1, 2, 3] })
    now = 100_000
    expect((await master.run()).pruned).toEqual({ a: [4, 5], c: [4, 5] })
    expect(reports.map(r => Object.keys(r.failed))).toEqual([['bad'], ['bad']])
    expect(master.failedChains).toEqual(['bad'])
    await master.stop()
  })

  describe('room for backup duty', () => {
    const payloadOf = async (chainId: string): Promise<number> => (await store?.info(chainId))?.payloadBytes ?? 0
    const used = async (): Promise<number> => (await store?.chains() ?? []).reduce((n, c) => n + c.bytes, 0)
    let capacity = 0
    /** Bytes free below the capacity. */
    const free = async (): Promise<number> => capacity - await used()
    /** A master at capacity (every byte held), for room runs only. */
    const fullMaster = async (): Promise<StorageMaster> => {
      if (store == null) throw new Error('no store')
      capacity = await used()
      return new StorageMaster({ store, policy: { capacity }, capacity, now: () => 100_000 })
    }

    // bad's payload was promised as room: offers were taken on it, and a room run pruned the
    // readable chains for an offer it could still not fit (a probe, 2026-12-03)
    it('a chain a run could not read is not counted as room, and a room run it would be needed for prunes nothing', async () => {
      if (store == null) throw new Error('no store')
      const master = await fullMaster()
      const block = (await store.getBlock('a', 1))?.header.payloadBytes ?? 0
      // the first room run finds bad unreadable (it prunes a's and c's oldest blocks for the room asked)
      const first = await master.makeRoom(2 * block)
      expect(first.failed).toEqual({ bad: expect.stringContaining('corrupt block record') })
      expect(first.pruned).toEqual({ a: [1], c: [1] })
      // counted (vguard_retention_failed_chains) from the run that found it, a room run too: the
      // gauge said 0 until a periodic run met the chain (a review, 2026-12-03)
      expect(master.failedChains).toEqual(['bad'])
      const readable = await payloadOf('a') + await payloadOf('c')
      expect(await master.reclaimable()).toBe(readable)
      // more than a and c can free: nothing is pruned for it
      const report = await master.makeRoom(await free() + readable + block)
      expect(report.pruned).toEqual({})
      expect(await payloadOf('a') + await payloadOf('c')).toBe(readable)
      await master.stop()
    })

    it('the chain counts as room again once a run reads it', async () => {
      if (store == null || whole == null) throw new Error('no store')
      const master = await fullMaster()
      const block = (await store.getBlock('a', 1))?.header.payloadBytes ?? 0
      expect(Object.keys((await master.makeRoom(2 * block)).failed)).toEqual(['bad'])
      expect(await master.reclaimable()).toBe(await payloadOf('a') + await payloadOf('c'))
      // mended: the next room run prunes bad's oldest block, which reads it
      await database?.db.put(new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix).block('bad', 2), whole)
      expect((await master.makeRoom(await free() + block)).pruned).toEqual({ bad: [1] })
      expect(master.failedChains).toEqual([])
      expect(await master.reclaimable()).toBe(await payloadOf('a') + await payloadOf('bad') + await payloadOf('c'))
      await master.stop()
    })

    it('a copy taken again after the failure counts as room', async () => {
      if (store == null) throw new Error('no store')
      const master = await fullMaster()
      const block = (await store.getBlock('a', 1))?.header.payloadBytes ?? 0
      expect(Object.keys((await master.makeRoom(2 * block)).failed)).toEqual(['bad'])
      await store.deleteChain('bad')
      await store.appendMany(chainOf('bad', 5, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
      expect(await master.reclaimable()).toBe(await payloadOf('a') + await payloadOf('bad') + await payloadOf('c'))
      await master.stop()
    })
  })
})
