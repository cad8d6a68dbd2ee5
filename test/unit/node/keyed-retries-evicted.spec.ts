/**
 * Attempts of one keyed write on one proposer run one at a time. The node
 * joins attempts under way in memory (RecentWrites.once), but that memory is
 * bounded: past 4,096 other writes through the same carrier it forgets an
 * attempt still in flight, and a retry then starts a second attempt beside
 * it. The replica itself must not let the two both commit. A real own-chain
 * replica (booth of one) on LevelDB; the join memory holds one write, so one
 * other keyed write through the carrier evicts the first.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { transactionsOf, toHex } from '../../../src/chain/index.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { idempotentRef } from '../../../src/node/idempotency.ts'
import { RecentWrites, memoryOwner, writeKey } from '../../../src/node/recent-writes.ts'
import { submitOnce } from '../../../src/node/submit-once.ts'
import type { CommitResult } from '../../../src/node/replica-types.ts'
import { enc } from '../storage/helpers.ts'
import { SELF, useOwnReplica } from './helpers/own-replica.ts'
import { waitFor } from '../../utils/wait.ts'
import { SHARED, ThreeReplicas } from './helpers/three-replicas.ts'

/** Transactions of `chainId` that write `key` (two copies of one write may share a block). */
async function transactionsWriting (store: MemoryChainStore | undefined, chainId: string, key: string): Promise<number> {
  let n = 0
  for await (const block of store?.blocks(chainId) ?? []) n += transactionsOf(block).filter(tx => tx.key === key).length
  return n
}

describe('node - keyed attempts of one write whose join the node forgot', () => {
  const fixture = useOwnReplica()

  it('commit once: a retry started beside the first attempt waits for it and gets its block', async () => {
    const store = new MemoryChainStore()
    const replica = await fixture.open({ store })
    // the node's join memory, holding one write per carrier
    const joined = new RecentWrites<CommitResult>({ limit: 1 })
    const keyed = (key: string, tx: string): () => Promise<CommitResult> => {
      const write = encodeWrite([{ key: tx, value: enc.encode(key) }])
      const ref = idempotentRef(SELF, key, write.payload, 'gateway')
      return async () => await joined.once(writeKey(ref.from, SELF, toHex(ref.id)), async () => await submitOnce(replica, write, ref, 10_000, false), memoryOwner(ref))
    }
    const order = keyed('order-1', 'paid')
    const first = order()
    // another keyed write through the same carrier: the join forgets the first, still under way
    const other = keyed('order-2', 'shipped')()
    const retry = order()

    const [once, again] = await Promise.all([first, retry, other])
    expect(await transactionsWriting(store, SELF, 'paid'), 'committed once').toBe(1)
    expect(again.height).toBe(once.height)
    expect(again.hash).toEqual(once.hash)
    expect(await transactionsWriting(store, SELF, 'shipped')).toBe(1)
  })

  it('a retry beside a first attempt that committed and waits for its replication round gets the block at once', async () => {
    const store = new MemoryChainStore()
    // the round after the commit never ends: the first attempt waits for it until its deadline
    const replica = await fixture.open({ store, afterCommit: async () => await new Promise(() => {}) })
    const write = encodeWrite([{ key: 'paid', value: enc.encode('order-1') }])
    const ref = idempotentRef(SELF, 'order-1', write.payload, 'gateway')
    let first: CommitResult | Error | undefined
    void submitOnce(replica, write, ref, 60_000, true).then(r => { first = r }, (err: Error) => { first = err })
    await waitFor(async () => (await store.tip(SELF)).height === 1, { message: 'the first attempt committed' })

    // not joined: it waits for the first only until the write is applied, not for its round
    const again = await submitOnce(replica, write, ref, 20_000, true)
    expect(again.height).toBe(1)
    expect(first, 'the first attempt still waits for its round').toBeUndefined()
    expect(await transactionsWriting(store, SELF, 'paid')).toBe(1)
  })
})

describe('node - a keyed retry that cannot wait for the attempt under way', () => {
  const set = new ThreeReplicas()
  afterEach(async () => { await set.close() })

  it('hears CommitTimeoutError at its deadline, proposes nothing, and the write commits once', async () => {
    const { n1, stores, dropIf, tickUntil } = await set.open()
    // n1's accepts are lost: what it proposes stays undecided
    const drop = (m: { from: string, type: string }): boolean => m.from === 'n1' && m.type === 'accept'
    dropIf.push(drop)
    const write = encodeWrite([{ key: 'paid', value: enc.encode('order-1') }])
    const ref = idempotentRef(SHARED, 'order-1', write.payload, 'gateway')
    let first: CommitResult | Error | undefined
    void submitOnce(n1, write, ref, 60_000, false).then(r => { first = r }, (err: Error) => { first = err })
    await tickUntil(() => n1.status().outstanding === 1, 'the first attempt proposed')

    // a retry the node did not join: it waits for the first, at most its own timeout
    await expect(submitOnce(n1, write, ref, 300, false)).rejects.toMatchObject({
      name: 'CommitTimeoutError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/earlier attempt of this write to shared is under way on this node/)
    })
    expect(n1.status()).toMatchObject({ outstanding: 1, pending: 0 })

    dropIf.splice(dropIf.indexOf(drop), 1)
    await tickUntil(() => first != null, 'the first attempt decided')
    if (first == null || first instanceof Error) throw new Error(`the first attempt failed: ${String(first)}`)
    const once = first
    let again: CommitResult | undefined
    void submitOnce(n1, write, ref, 60_000, false).then(r => { again = r })
    await tickUntil(() => again != null, 'a later retry answered')
    expect(again?.height).toBe(once.height)
    expect(await transactionsWriting(stores.get('n1'), SHARED, 'paid'), 'committed once').toBe(1)
  })
})
