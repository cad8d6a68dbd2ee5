import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import type { ChainStore } from '../../../src/storage/index.ts'
import { applyRetention, StorageMaster } from '../../../src/storage/retention.ts'
import type { UnclaimedSince } from '../../../src/storage/retention.ts'
import { memoryHarness, chainOf, enc } from './helpers.ts'
import type { StoreHarness } from './helpers.ts'

describe('storage - retention of unclaimed chains', () => {
  let harness: StoreHarness
  let store: ChainStore
  beforeEach(async () => {
    harness = memoryHarness()
    store = await harness.create()
    // block h has timestamp 1000·h: every block is older than τ below
    await store.appendMany(chainOf('pushed', 5, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padStart(100, '0')) }] })))
  })
  afterEach(async () => { await harness.cleanup() })

  it('keeps an unclaimed chain whole for the grace (τ by default) from when it was first seen, then prunes it', async () => {
    const since: UnclaimedSince = new Map()
    const policy = { retention: 1_000, isTemporary: () => 'unclaimed' as const }
    expect((await applyRetention(store, policy, 100_000, since)).pruned).toEqual({})
    expect(since.get('pushed')).toBe(100_000)
    expect((await applyRetention(store, policy, 100_999, since)).pruned).toEqual({})
    expect((await applyRetention(store, policy, 101_000, since)).pruned).toEqual({ pushed: [1, 2, 3, 4, 5] })
    // without a map (one run on its own) every run is a first sight
    expect((await applyRetention(await harness.create(), policy, 200_000)).pruned).toEqual({})
  })

  it('forgets a chain once it is claimed, and an unclaimed chain without τ or grace is kept', async () => {
    const since: UnclaimedSince = new Map()
    let verdict: boolean | 'unclaimed' = 'unclaimed'
    await applyRetention(store, { retention: 1_000, isTemporary: () => verdict }, 100_000, since)
    verdict = false
    expect((await applyRetention(store, { retention: 1_000, isTemporary: () => verdict }, 200_000, since)).pruned).toEqual({})
    expect(since.size).toBe(0)
    // unclaimed again: a new grace starts
    verdict = 'unclaimed'
    expect((await applyRetention(store, { retention: 1_000, isTemporary: () => verdict }, 300_000, since)).pruned).toEqual({})
    // no age limit and no grace: the size bound alone never reaches it
    expect((await applyRetention(store, { maxBytes: 0, isTemporary: () => 'unclaimed' as const }, 900_000, new Map([['pushed', 0]]))).pruned).toEqual({})
    // an explicit grace applies without τ: then the size bound prunes it
    expect((await applyRetention(store, { maxBytes: 0, unclaimedGrace: 10, isTemporary: () => 'unclaimed' as const }, 900_000, new Map([['pushed', 0]]))).pruned).toEqual({ pushed: [1, 2, 3, 4, 5] })
  })

  it('runs the grace on the monotonic clock: a step of the wall clock neither ends it early nor stretches it', async () => {
    let wall = 100_000
    let mono = 5
    const master = new StorageMaster({ store, capacity: 1 << 30, policy: { retention: 1_000, isTemporary: () => 'unclaimed' as const }, now: () => wall, elapsed: () => mono })
    expect((await master.run()).pruned).toEqual({})
    // the wall clock jumps a day ahead: the copy first seen a moment ago is still in its grace
    wall += 86_400_000
    mono += 10
    expect((await master.run()).pruned).toEqual({})
    // the wall clock jumps back: the grace still ends when τ has passed
    wall -= 86_400_000
    mono += 1_000
    expect((await master.run()).pruned).toEqual({ pushed: [1, 2, 3, 4, 5] })
  })
})
