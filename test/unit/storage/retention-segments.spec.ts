import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { emptyTip, tipOf, verifyBlock } from '../../../src/chain/index.ts'
import type { Block, ChainTip } from '../../../src/chain/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore } from '../../../src/storage/level.ts'
import { applyRetention } from '../../../src/storage/retention.ts'
import { chainOf, nextBlock } from './helpers.ts'
import { segmentBytes } from '../../utils/segment-bytes.ts'

/** Every payload in a segment file; one segment holds a whole append. */
const OPTIONS = { inlineMax: 0, segmentMin: 0 }

/**
 * What retention frees is freed on disk too: a segment whose blocks are
 * pruned but for a few it still holds (the newest, or one dated ahead of the
 * clock) does not keep the pruned payloads in its file.
 */
describe('storage - retention frees the segment files of what it pruned', () => {
  let dir: string
  let database: NodeDatabase | undefined
  let store: LevelChainStore | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-retention-'))
    database = await openDatabase(dir)
    store = await LevelChainStore.open(database, OPTIONS)
  })

  afterEach(async () => {
    await store?.close()
    await database?.close()
    store = undefined
    database = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const reopen = async (): Promise<LevelChainStore> => {
    await store?.close()
    await database?.close()
    database = await openDatabase(dir)
    store = await LevelChainStore.open(database, OPTIONS)
    return store
  }

  async function expectVerifies (s: LevelChainStore, chainId: string): Promise<void> {
    let prev: ChainTip = emptyTip(chainId)
    for await (const b of s.blocks(chainId)) {
      verifyBlock(b, prev, { allowPruned: true })
      prev = tipOf(b)
    }
    expect(prev).toEqual(await s.tip(chainId))
  }

  const values = Array.from({ length: 10 }, () => new Uint8Array(randomBytes(8 * 1024)))
  const chain = (times: number[]): Block[] =>
    chainOf('car', times.length, h => ({ timestamp: times[h - 1], transactions: [{ key: `k${h}`, value: values[h - 1] }] }))

  it('a block dated ahead of the clock at the tip keeps its own payload, not its segment\'s pruned ones', async () => {
    if (store == null) throw new Error('no store')
    // nine old blocks and one dated years ahead (a proposer's clock set wrong), in one segment
    const blocks = chain([...Array.from({ length: 9 }, (_, i) => 1_000 * (i + 1)), 9e12])
    await store.appendMany(blocks)
    expect(await segmentBytes(dir)).toBeGreaterThan(9 * 8 * 1024)
    expect((await applyRetention(store, { retention: 1_000 }, 100_000)).pruned).toEqual({ car: [1, 2, 3, 4, 5, 6, 7, 8, 9] })
    const held = (await store.info('car'))?.payloadBytes ?? 0
    expect(held).toBe(blocks[9].header.payloadBytes)
    // what the store counts is what the segment files hold, at most
    expect(await segmentBytes(dir)).toBeLessThanOrEqual(held)
    expect((await store.getBlock('car', 10))?.payload).toEqual(blocks[9].payload)
    expect((await store.get('car', 'k10'))?.value).toEqual(values[9])
    await expectVerifies(store, 'car')
    const reopened = await reopen()
    expect(await segmentBytes(dir)).toBeLessThanOrEqual(held)
    expect((await reopened.getBlock('car', 10))?.payload).toEqual(blocks[9].payload)
    expect((await reopened.get('car', 'k10'))?.value).toEqual(values[9])
    await expectVerifies(reopened, 'car')
    // appends go on in a new segment; once the clock passes its date, the block goes too
    const eleventh = nextBlock(tipOf(blocks[9]), { timestamp: 9e12 + 1, transactions: [{ key: 'k11', value: randomBytes(8 * 1024) }] })
    await reopened.appendMany([eleventh])
    expect((await applyRetention(reopened, { retention: 1_000 }, 1e13)).pruned).toEqual({ car: [10, 11] })
    expect(await segmentBytes(dir)).toBe(0)
    await expectVerifies(reopened, 'car')
  })

  it('a segment still mostly live stays as it is: only what is mostly pruned is rewritten', async () => {
    if (store == null) throw new Error('no store')
    const blocks = chain(Array.from({ length: 10 }, (_, i) => 1_000 * (i + 1)))
    await store.appendMany(blocks)
    const before = await segmentBytes(dir)
    // blocks 1 and 2 pruned: 8 of 10 payloads still live
    expect((await applyRetention(store, { retention: 1_000 }, 3_500)).pruned).toEqual({ car: [1, 2] })
    expect(await segmentBytes(dir)).toBe(before)
    await expectVerifies(store, 'car')
  })
})
