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
})
