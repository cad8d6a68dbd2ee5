/**
 * A backup appends a replicate frame while a reconcile of the same chain
 * appends beside it, batch after batch: the frame's blocks that the
 * reconcile got there first are skipped, never refused.
 */
import { describe, it, expect } from 'vitest'
import { appendFresh } from '../../../src/protocols/replicate/server.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import type { ChainStore } from '../../../src/storage/index.ts'
import type { Block } from '../../../src/chain/index.ts'
import { chainOf } from '../storage/helpers.ts'

const CHAIN = 'proposer-peer'

/** A store where, before each of our first `races` appends, the "reconcile" appends its next batch. */
function racedStore (store: MemoryChainStore, batches: Block[][], races: number): ChainStore {
  let left = races
  return new Proxy(store, {
    get (target, prop, receiver) {
      if (prop === 'appendMany') {
        return async (blocks: Block[], options?: { sync?: boolean }) => {
          const next = batches.shift()
          if (left-- > 0 && next != null) await target.appendMany(next)
          return await target.appendMany(blocks, options)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

describe('replicate - appendFresh beside another writer', () => {
  it('skips what a reconcile appended first, across several of its batches in a row', async () => {
    const blocks = chainOf(CHAIN, 13)
    const store = new MemoryChainStore()
    await store.appendMany(blocks.slice(0, 10))
    // the reconcile appends 11, then 12, then 13, each time just before our append of 11–13
    const raced = racedStore(store, [[blocks[10]], [blocks[11]], [blocks[12]]], 3)
    const tip = await appendFresh(raced, CHAIN, blocks.slice(10))
    expect(tip.height).toBe(13)
    expect((await store.tip(CHAIN)).height).toBe(13)
  })

  it('a frame that does not follow a tip nobody moves is still refused, and changes nothing', async () => {
    const blocks = chainOf(CHAIN, 13)
    const store = new MemoryChainStore()
    await store.appendMany(blocks.slice(0, 10))
    await expect(appendFresh(store, CHAIN, blocks.slice(11))).rejects.toMatchObject({ reason: 'WrongHeight' })
    expect((await store.tip(CHAIN)).height).toBe(10)
  })

  it('a held height with another block is a diverged copy', async () => {
    const ours = chainOf(CHAIN, 3)
    const theirs = chainOf(CHAIN, 3, h => ({ transactions: [{ key: `other${h}`, value: new Uint8Array([h]) }] }))
    const store = new MemoryChainStore()
    await store.appendMany(ours)
    await expect(appendFresh(store, CHAIN, theirs)).rejects.toMatchObject({ name: 'InvalidBlockError' })
    expect((await store.tip(CHAIN)).hash).toEqual(ours[2].hash)
  })
})
