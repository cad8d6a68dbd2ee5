import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { emptyTip, tipOf, verifyBlock, HASH_BYTES } from '../../../src/chain/index.ts'
import type { ChainTip } from '../../../src/chain/index.ts'
import type { ChainStore } from '../../../src/storage/index.ts'
import { applyRetention, storageUsage, StorageMaster } from '../../../src/storage/retention.ts'
import { memoryHarness, levelHarness, segmentedHarness, chainOf, collect, enc } from './helpers.ts'
import type { StoreHarness } from './helpers.ts'

/** Every block carries a 100-byte value, so payloads are equal in size. */
const value = (h: number): Uint8Array => enc.encode(String(h).padStart(100, '0'))

type Prune = ChainStore['prune']

/** Puts `around` in place of the store's prune (it is handed the real one); returns what puts the real one back. */
function aroundPrunes (store: ChainStore, around: (prune: Prune, ...args: Parameters<Prune>) => ReturnType<Prune>): () => void {
  const prune = store.prune.bind(store)
  store.prune = async (...args: Parameters<Prune>) => await around(prune, ...args)
  return () => { store.prune = prune }
}

async function prunedHeights (store: ChainStore, chainId: string): Promise<number[]> {
  return (await collect(store.headers(chainId))).filter(h => h.pruned).map(h => h.block.header.height)
}

/** What info() should say of a chain, counted from its headers. */
async function recount (store: ChainStore, chainId: string): Promise<{ bytes: number, payloadBytes: number, prunedBlocks: number }> {
  let bytes = 0
  let payloadBytes = 0
  let prunedBlocks = 0
  for (const { block, pruned } of await collect(store.headers(chainId))) {
    bytes += block.headerBytes.byteLength + HASH_BYTES
    if (pruned) prunedBlocks++
    else {
      bytes += block.header.payloadBytes
      payloadBytes += block.header.payloadBytes
    }
  }
  return { bytes, payloadBytes, prunedBlocks }
}

async function expectVerifies (store: ChainStore, chainId: string): Promise<void> {
  let prev: ChainTip = emptyTip(chainId)
  for await (const b of store.blocks(chainId)) {
    verifyBlock(b, prev, { allowPruned: true })
    prev = tipOf(b)
  }
  expect(prev).toEqual(await store.tip(chainId))
}

describe.each([
  { name: 'memory', makeHarness: memoryHarness },
  { name: 'level', makeHarness: levelHarness },
  { name: 'level, segments', makeHarness: segmentedHarness }
])('storage - retention ($name)', ({ makeHarness }) => {
  let harness: StoreHarness
  let store: ChainStore

  beforeEach(async () => {
    harness = makeHarness()
    store = await harness.create()
  })
  afterEach(async () => { await harness.cleanup() })

  it('an unpin between two flushes of one run leaves the freed blocks to the next run, not unprunable', async () => {
    // 600 old blocks: one run by age flushes every 256 heights
    await store.appendMany(chainOf('x', 600, h => ({ timestamp: h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.pin('x', { type: 'range', from: 1, to: 300 })
    let flushes = 0
    const restore = aroundPrunes(store, async (prune, ...args) => {
      const result = await prune(...args)
      // the user unpins right after the run's first flush
      if (flushes++ === 0) await store.unpin('x', { type: 'range', from: 1, to: 300 })
      return result
    })
    await applyRetention(store, { retention: 1_000 }, 1_000_000)
    restore()
    await applyRetention(store, { retention: 1_000 }, 1_000_000)
    expect((await store.info('x'))?.prunedBlocks).toBe(600)
  })

  it('prunes payloads older than τ, keeps headers verifiable and pins intact', async () => {
    // block h has timestamp 1000·h
    await store.appendMany(chainOf('car', 10, h => ({ transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.pin('car', { type: 'range', from: 2, to: 2 })
    await store.pin('car', { type: 'key', key: 'k4' })

    const report = await applyRetention(store, { retention: 4_500 }, 10_000)
    // cutoff 5500: blocks 1..5 are old; 2 and 4 are pinned
    expect(report.pruned).toEqual({ car: [1, 3, 5] })
    expect(await prunedHeights(store, 'car')).toEqual([1, 3, 5])
    expect(report.freedBytes).toBe(3 * ((await store.getBlock('car', 6))?.header.payloadBytes ?? 0))
    await expectVerifies(store, 'car')
    expect((await store.get('car', 'k4'))?.value).toEqual(value(4))
    await expect(store.get('car', 'k3')).rejects.toMatchObject({ name: 'PayloadPrunedError' })

    // nothing new is old at the same time; later, everything but the pins goes
    expect((await applyRetention(store, { retention: 4_500 }, 10_000)).freedBytes).toBe(0)
    await applyRetention(store, { retention: 4_500 }, 100_000)
    expect(await prunedHeights(store, 'car')).toEqual([1, 3, 5, 6, 7, 8, 9, 10])
    await expectVerifies(store, 'car')
  })

  it('prunes oldest first across chains down to the size bound, skipping pins', async () => {
    // chain a: timestamps 1000·h; chain b: 1000·h + 500, so the age order interleaves a1 b1 a2 b2 …
    await store.appendMany(chainOf('a', 5, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('b', 5, h => ({ timestamp: 1_000 * h + 500, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.pin('b', { type: 'range', from: 1, to: 1 })
    const size = (await store.getBlock('a', 1))?.header.payloadBytes ?? 0
    const total = 10 * size

    // room for 6 payloads: 4 must go: a1, (b1 pinned), a2, b2, a3
    const report = await applyRetention(store, { maxBytes: 6 * size }, 0)
    expect(report.pruned).toEqual({ a: [1, 2, 3], b: [2] })
    expect(report.payloadBytes).toBe(6 * size)
    expect(report.freedBytes).toBe(4 * size)
    expect(report.overBound).toBe(false)
    expect(total - report.freedBytes).toBe(6 * size)
    await expectVerifies(store, 'a')
    await expectVerifies(store, 'b')
    expect((await store.get('b', 'k1'))?.value).toEqual(value(1))
  })

  it('keeps every chain held within the capacity: temporary payloads go, oldest first, while the whole is above it', async () => {
    await store.appendMany(chainOf('own', 5, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('other', 5, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const size = (await store.getBlock('other', 1))?.header.payloadBytes ?? 0
    const used = async (): Promise<number> => (await store.chains()).reduce((n, c) => n + c.bytes, 0)
    // the temporary payloads are well under their own bound; the whole is 3 payloads over the capacity
    const capacity = await used() - 3 * size
    const policy = { maxBytes: 1e9, capacity, isTemporary: (id: string) => id !== 'own' }
    const report = await applyRetention(store, policy, 0)
    expect(report.pruned).toEqual({ other: [1, 2, 3] })
    expect(await used()).toBeLessThanOrEqual(capacity)
    expect(report.overBound).toBe(false)
    // the chains that are never pruned alone above it: every temporary payload goes, and the report says so
    const tight = await applyRetention(store, { ...policy, capacity: (await store.info('own'))?.bytes ?? 0 }, 0)
    expect(tight.pruned).toEqual({ other: [4, 5] })
    expect(tight.overBound).toBe(true)
    expect(await prunedHeights(store, 'own')).toEqual([])
  })

  it('a block dated ahead of the clock keeps neither older blocks after it, nor itself past them, from being pruned by age', async () => {
    const times = [1_000, 2_000, 10_000_000, 4_000, 5_000, 6_000, 19_000]
    await store.appendMany(chainOf('car', times.length, h => ({ timestamp: times[h - 1], transactions: [{ key: `k${h}`, value: value(h) }] })))
    // cutoff 10000: every block but 3 (dated hours ahead) and 7 (young) is old, and 3 is older than 4 (chain order)
    expect((await applyRetention(store, { retention: 10_000 }, 20_000)).pruned).toEqual({ car: [1, 2, 3, 4, 5, 6] })
    expect(store.pruneFrom('car')).toBe(7)
    expect((await applyRetention(store, { retention: 10_000 }, 30_000)).pruned).toEqual({ car: [7] })
    expect(store.pruneFrom('car')).toBe(8)
    await expectVerifies(store, 'car')
  })

  it('a size run dates a block ahead of the clock by the block after it: it does not hold its chain\'s older blocks back', async () => {
    const ta = [1_000, 9e12, 2_000, 3_000]
    await store.appendMany(chainOf('a', 4, h => ({ timestamp: ta[h - 1], transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('b', 4, h => ({ timestamp: 1_000 * h + 500, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const size = (await store.getBlock('a', 1))?.header.payloadBytes ?? 0
    // room for 4 of 8: a1 (1000), b1 (1500), then a2 with a3 (2000: a2 is older still, chain order); b2 (2500) and on stay.
    // Taken at its own date, a2 held a3 back, and b2 and b3 went first (a review)
    const report = await applyRetention(store, { maxBytes: 4 * size }, 10_000)
    expect(report.pruned).toEqual({ a: [1, 2, 3], b: [1] })
    await expectVerifies(store, 'a')
    // with no block after it, one ahead of the clock goes last
    const late = await applyRetention(store, { maxBytes: 0 }, 10_000)
    expect(late.pruned).toEqual({ a: [4], b: [2, 3, 4] })
  })

  it('blocks dated ahead of the clock with no old block after them are kept until the clock passes their date', async () => {
    const times = [1_000, 2_000, 10_000_000, 10_000_001]
    await store.appendMany(chainOf('car', times.length, h => ({ timestamp: times[h - 1], transactions: [{ key: `k${h}`, value: value(h) }] })))
    expect((await applyRetention(store, { retention: 10_000 }, 20_000)).pruned).toEqual({ car: [1, 2] })
    expect(store.pruneFrom('car')).toBe(3)
    // nothing is skipped for good once the clock passes that date
    expect((await applyRetention(store, { retention: 10_000 }, 10_020_000)).pruned).toEqual({ car: [3, 4] })
    expect(store.pruneFrom('car')).toBe(5)
    await expectVerifies(store, 'car')
  })

  it.each([
    ['by age', { retention: 10_000 }],
    ['by size', { maxBytes: 0 }]
  ])('a run %s leaves alone a copy taken while it ran (the chain deleted and fetched again meanwhile)', async (_how, policy) => {
    await store.appendMany(chainOf('x', 6, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const fresh = chainOf('x', 6, h => ({ timestamp: 1_000_000 + h, transactions: [{ key: `n${h}`, value: value(h) }] }))
    const copy = store.copyId('x')
    // the scan reads the old copy's first header; then the copy is released and taken again
    let swapped = false
    const swapping = new Proxy(store, {
      get (target, prop) {
        if (prop === 'headers') {
          return async function * (chainId: string, options?: { from?: number }) {
            for await (const h of target.headers(chainId, options)) {
              yield h
              if (!swapped) {
                swapped = true
                await target.deleteChain('x')
                await target.appendMany(fresh)
              }
            }
          }
        }
        const v = Reflect.get(target, prop) as unknown
        return typeof v === 'function' ? v.bind(target) : v
      }
    })
    // the old copy was all old and over the bound: what the run planned for it does not touch the new one
    const report = await applyRetention(swapping, policy, 50_000)
    expect(swapped).toBe(true)
    expect(report.pruned).toEqual({})
    expect(store.copyId('x')).not.toBe(copy)
    expect((await store.info('x'))?.prunedBlocks).toBe(0)
    expect(store.pruneFrom('x')).toBe(1)
    expect((await store.get('x', 'n6'))?.value).toEqual(value(6))
  })

  it('makes room for backup duty from temporary payloads, oldest first, only if they can free it all', async () => {
    await store.appendMany(chainOf('own', 3, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('released', 4, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('offered', 4, h => ({ timestamp: 500 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('fresh', 4, h => ({ timestamp: 100 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const size = (await store.getBlock('released', 1))?.header.payloadBytes ?? 0
    const used = async (): Promise<number> => (await store.chains()).reduce((n, c) => n + c.bytes, 0)
    const capacity = await used() + size
    // 'fresh' is unclaimed, within its grace; 'offered' is the chain the room is for
    const verdicts: Record<string, boolean | 'unclaimed'> = { own: false, released: true, offered: true, fresh: 'unclaimed' }
    const master = new StorageMaster({ store, policy: { capacity, retention: 1e9, isTemporary: id => verdicts[id] }, capacity, now: () => 0, elapsed: () => 0 })
    expect(await master.reclaimable()).toBe(8 * size)
    // room for 3 payloads beyond the one free: 2 of the released chain's oldest go, nothing else
    const report = await master.makeRoom(3 * size, 'offered')
    expect(report.pruned).toEqual({ released: [1, 2] })
    expect(capacity - await used()).toBeGreaterThanOrEqual(3 * size)
    expect(await master.reclaimable()).toBe(6 * size)
    // more than the released chain can free (the offered chain and the unclaimed one are not counted): nothing goes
    const none = await master.makeRoom(6 * size, 'offered')
    expect(none.freedBytes).toBe(0)
    expect(await prunedHeights(store, 'released')).toEqual([1, 2])
    expect(await prunedHeights(store, 'offered')).toEqual([])
    expect(await prunedHeights(store, 'fresh')).toEqual([])
    await master.stop()
  })

  it('a temporary chain with pins is not counted as room: makeRoom prunes nothing for room only its unpinned blocks might give', async () => {
    await store.appendMany(chainOf('pinned', 4, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.pin('pinned', { type: 'range', from: 3, to: 4 })
    const size = (await store.getBlock('pinned', 1))?.header.payloadBytes ?? 0
    const capacity = (await store.chains()).reduce((n, c) => n + c.bytes, 0)
    const master = new StorageMaster({ store, policy: { capacity, retention: 1e9 }, capacity, now: () => 0, elapsed: () => 0 })
    expect(await master.reclaimable()).toBe(0)
    // two unpinned blocks could free 2 payloads, but a chain with pins is not planned on: nothing goes
    expect((await master.makeRoom(2 * size)).freedBytes).toBe(0)
    expect(await prunedHeights(store, 'pinned')).toEqual([])
    await master.stop()
  })

  it('an offer starts an unclaimed copy\'s grace over: room made meanwhile leaves it alone', async () => {
    await store.appendMany(chainOf('fresh', 3, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const size = (await store.getBlock('fresh', 1))?.header.payloadBytes ?? 0
    const capacity = (await store.chains()).reduce((n, c) => n + c.bytes, 0)
    let clock = 0
    const master = new StorageMaster({ store, policy: { capacity, retention: 1e9, unclaimedGrace: 1_000, isTemporary: () => 'unclaimed' }, capacity, now: () => 0, elapsed: () => clock })
    await master.run()
    clock = 5_000
    // past its grace: room may come from it
    expect(await master.reclaimable()).toBe(3 * size)
    // its owner sends it again: the grace starts over
    await master.restartGrace('fresh')
    expect(await master.reclaimable()).toBe(0)
    expect((await master.makeRoom(size)).freedBytes).toBe(0)
    clock = 7_000
    expect(await master.reclaimable()).toBe(3 * size)
    await master.stop()
  })

  it('an offer waits for a run that chose what to prune before it: the copy it then reads is what stays', async () => {
    await store.appendMany(chainOf('x', 4, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const master = new StorageMaster({ store, policy: { retention: 10, isTemporary: () => true }, capacity: 1e9, now: () => 10_000 })
    // a run is pruning x (every block is older than τ) when its owner offers it again
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const restore = aroundPrunes(store, async (prune, ...args) => { await held; return await prune(...args) })
    const run = master.run()
    let offered = false
    const offer = master.restartGrace('x').then(() => { offered = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(offered).toBe(false)
    release()
    await run
    await offer
    // the offer went on only after the prune: it reads the copy as pruned and takes it again whole
    expect((await store.info('x'))?.prunedBlocks).toBe(4)
    restore()
    await master.stop()
  })

  it('two offers that wait for the same run get room one after the other: the second finds the room the first made', async () => {
    await store.appendMany(chainOf('released', 10, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const size = (await store.getBlock('released', 1))?.header.payloadBytes ?? 0
    // exactly full: room for 2 payloads means 2 blocks pruned
    const capacity = (await store.chains()).reduce((n, c) => n + c.bytes, 0)
    const master = new StorageMaster({ store, policy: { capacity, retention: 1e12, isTemporary: () => true }, capacity, now: () => 0, elapsed: () => 0 })
    // prunes take a while (a loaded disk), so runs side by side would be seen in flight together
    let inFlight = 0
    let maxInFlight = 0
    const restore = aroundPrunes(store, async (prune, ...args) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      try {
        await new Promise(resolve => setTimeout(resolve, 20))
        return await prune(...args)
      } finally { inFlight-- }
    })
    // a periodic run is going when two owners' offers ask for the same room
    const run = master.run()
    const a = master.makeRoom(2 * size, 'other-a')
    const b = master.makeRoom(2 * size, 'other-b')
    await run
    const [ra, rb] = await Promise.all([a, b])
    restore()
    // side by side, each worked out the same excess and pruned it in full (heights 1-4)
    expect(maxInFlight).toBe(1)
    expect(ra.freedBytes + rb.freedBytes).toBe(2 * size)
    expect(await prunedHeights(store, 'released')).toEqual([1, 2])
    await master.stop()
  })

  it('an offer waits for every run asked for before it, also a second room run still pruning its copy', async () => {
    await store.appendMany(chainOf('y', 4, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    await store.appendMany(chainOf('x', 4, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    const size = (await store.getBlock('x', 1))?.header.payloadBytes ?? 0
    const capacity = (await store.chains()).reduce((n, c) => n + c.bytes, 0)
    const master = new StorageMaster({ store, policy: { capacity, retention: 1e12, isTemporary: () => true }, capacity, now: () => 0, elapsed: () => 0 })
    // prunes of x are held (a loaded disk); those of y are not
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const restore = aroundPrunes(store, async (prune, ...args) => {
      if (args[0] === 'x' && args[1].length > 0) await held
      return await prune(...args)
    })
    const run = master.run()
    // two offers at once: one for x (its room comes from y), one for y (the room it needs beyond that comes from x)
    const forX = master.makeRoom(size, 'x')
    const forY = master.makeRoom(2 * size, 'y')
    await run
    await forX
    // x's owner sends it again: the offer must not read x's copy while the run for y still prunes it
    let offered = false
    const offer = master.restartGrace('x').then(() => { offered = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(offered).toBe(false)
    release()
    await forY
    await offer
    // it went on once x's block was pruned: it reads the copy as holed and has it sent whole again
    expect((await store.info('x'))?.prunedBlocks).toBe(1)
    restore()
    await master.stop()
  })

  it('stop waits for every run asked for, not only the one going', async () => {
    await store.appendMany(chainOf('x', 4, h => ({ timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    let ended = 0
    const master = new StorageMaster({ store, policy: { retention: 10, isTemporary: () => true }, capacity: 1e9, now: () => 10_000, onReport: () => { ended++ } })
    const run = master.run()
    // a room run waits behind the periodic one when the node stops
    const room = master.makeRoom(0)
    const stopped = master.stop().then(() => ended)
    expect(await stopped).toBe(2)
    await Promise.all([run, room])
    expect((await store.info('x'))?.prunedBlocks).toBe(4)
  })

  it('reports when pins keep the payload above the bound', async () => {
    await store.appendMany(chainOf('a', 3))
    await store.pin('a', { type: 'range', from: 1, to: 3 })
    const report = await applyRetention(store, { maxBytes: 0 }, 0)
    expect(report.overBound).toBe(true)
    expect(report.freedBytes).toBe(0)
    expect(await prunedHeights(store, 'a')).toEqual([])
  })

  it('leaves chains that are not temporary alone', async () => {
    await store.appendMany(chainOf('own', 3))
    await store.appendMany(chainOf('other', 3))
    const report = await applyRetention(store, { retention: 0, maxBytes: 0, isTemporary: id => id !== 'own' }, 1e9)
    expect(Object.keys(report.pruned)).toEqual(['other'])
    expect(await prunedHeights(store, 'own')).toEqual([])
    expect(await prunedHeights(store, 'other')).toEqual([1, 2, 3])
  })

  it('reports capacity and bytes used; the storage master runs with the clock it is given', async () => {
    await store.appendMany(chainOf('a', 4, h => ({ transactions: [{ key: `k${h}`, value: value(h) }] })))
    const before = await storageUsage(store, 1_000_000)
    const info = await store.info('a')
    expect(before).toEqual({ capacity: 1_000_000, used: info?.bytes, free: 1_000_000 - (info?.bytes ?? 0), payloadBytes: info?.payloadBytes, chains: 1 })
    const master = new StorageMaster({ store, policy: { retention: 1_000 }, capacity: 1_000_000, now: () => 3_500 })
    const report = await master.run()
    expect(report.pruned).toEqual({ a: [1, 2] })
    const after = await master.usage()
    expect(after.used).toBe(before.used - report.freedBytes)
    await master.stop()
  })
})

// the persistent stores keep their accounting in records of their own, beside the blocks
describe.each([
  { name: 'level', makeHarness: levelHarness },
  { name: 'level, segments', makeHarness: segmentedHarness }
])('storage - retention accounting ($name)', ({ makeHarness }) => {
  let harness: StoreHarness
  beforeEach(() => { harness = makeHarness() })
  afterEach(async () => { await harness.cleanup() })

  it('bytes, payload bytes and pruned blocks stay what the chain holds through prunes, pins, appends and reopens', async () => {
    let store = await harness.create()
    const blocks = chainOf('x', 200, h => ({ timestamp: h, transactions: [{ key: `k${h % 7}`, value: value(h) }] }))
    await store.appendMany(blocks.slice(0, 100))
    await store.pin('x', { type: 'key', key: 'k3' })
    await store.pin('x', { type: 'range', from: 10, to: 20 })
    await applyRetention(store, { retention: 10 }, 60)
    await store.appendMany(blocks.slice(100, 130), { sync: false })
    await store.unpin('x', { type: 'range', from: 15, to: 15 })
    await applyRetention(store, { maxBytes: 2_000 }, 200)
    for (const b of blocks.slice(130)) await store.append(b)
    expect(await store.info('x')).toMatchObject(await recount(store, 'x'))
    store = await harness.reopen()
    expect(await store.info('x')).toMatchObject(await recount(store, 'x'))
    await store.unpin('x', { type: 'key', key: 'k3' })
    await applyRetention(store, { retention: 10 }, 1_000)
    expect(await store.info('x')).toMatchObject(await recount(store, 'x'))
    store = await harness.reopen()
    expect(await store.info('x')).toMatchObject(await recount(store, 'x'))
    expect((await store.info('x'))?.prunedBlocks).toBe(200 - 10)
    // the pinned payloads outlived their segments: every one reads back whole
    for (const h of [10, 11, 12, 13, 14, 16, 17, 18, 19, 20]) {
      const b = await store.getBlock('x', h)
      expect(b?.payload, `height ${h}`).toEqual(blocks[h - 1].payload)
    }
    await expect(store.get('x', 'k1')).rejects.toMatchObject({ name: 'PayloadPrunedError' })
  })

  it('a pin added while a run is pruning keeps the blocks the run had not pruned yet, across a reopen', async () => {
    const store = await harness.create()
    await store.appendMany(chainOf('x', 600, h => ({ timestamp: h, transactions: [{ key: `k${h}`, value: value(h) }] })))
    let calls = 0
    const restore = aroundPrunes(store, async (prune, ...args) => {
      // the user pins heights of the second chunk while the run prunes the first
      if (calls++ === 0) void store.pin('x', { type: 'range', from: 300, to: 310 })
      return await prune(...args)
    })
    await applyRetention(store, { retention: 10 }, 100_000)
    restore()
    const pruned = await prunedHeights(store, 'x')
    expect(pruned.filter(h => h >= 300 && h <= 310)).toEqual([])
    expect(pruned.length).toBe(600 - 11)
    const reopened = await harness.reopen()
    expect((await reopened.getBlock('x', 305))?.payload).not.toBeUndefined()
  })
})
