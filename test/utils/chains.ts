import { expect } from 'vitest'
import { bytesEqual, emptyTip, tipOf, toHex, transactionsOf, verifyBlock } from '../../src/chain/index.ts'
import type { ChainTip } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { ChainStore } from '../../src/storage/index.ts'

/** How many blocks of a chain write `key` (a write committed twice shows as 2). */
export async function blocksWriting (store: Pick<ChainStore, 'blocks'>, chainId: string, key: string): Promise<number> {
  let n = 0
  for await (const block of store.blocks(chainId)) {
    if (transactionsOf(block).some(tx => tx.key === key)) n++
  }
  return n
}

/**
 * What a crash leaves of a level store's open files: the kernel closes a dead
 * process's descriptors. Closes its segment handles without the store's clean
 * shutdown (no meta flush, no sync), so the test's "crash" leaks nothing.
 */
export async function dropOpenFiles (store: object | undefined): Promise<void> {
  await (store as { segments?: { close: () => Promise<void> } } | undefined)?.segments?.close()
}

/**
 * Every chain a node holds verifies end to end, and its state is a replay of
 * its blocks (expect() fails the test otherwise); returns each chain's block hashes.
 */
export async function checkedChains (node: VGuardNode): Promise<Map<string, string[]>> {
  const hashes = new Map<string, string[]>()
  for (const info of await node.chains.chains()) {
    const replay = new Map<string, string>()
    const seen: string[] = []
    let prev: ChainTip = emptyTip(info.chainId)
    for await (const block of node.chains.blocks(info.chainId)) {
      verifyBlock(block, prev)
      for (const tx of transactionsOf(block)) {
        if (tx.op === 'PUT') replay.set(tx.key, toHex(tx.value))
        else replay.delete(tx.key)
      }
      seen.push(toHex(block.hash))
      prev = tipOf(block)
    }
    const tip = await node.chains.tip(info.chainId)
    expect(prev.height, `${info.chainId} on ${node.peerId.toString()}: blocks end at the tip`).toBe(tip.height)
    expect(bytesEqual(prev.hash, tip.hash)).toBe(true)
    const state = new Map<string, string>()
    for await (const e of node.chains.entries(info.chainId)) state.set(e.key, toHex(e.value ?? new Uint8Array()))
    expect(state, `${info.chainId} on ${node.peerId.toString()}: state is the replay of the blocks`).toEqual(replay)
    hashes.set(info.chainId, seen)
  }
  return hashes
}
