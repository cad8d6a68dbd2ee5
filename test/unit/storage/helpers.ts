import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlock, emptyTip, tipOf } from '../../../src/chain/index.ts'
import type { Block, ChainTip, TransactionInput } from '../../../src/chain/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore, MemoryChainStore } from '../../../src/storage/index.ts'
import type { ChainStore } from '../../../src/storage/index.ts'
import type { LevelChainStoreOptions } from '../../../src/storage/level.ts'

export const enc = new TextEncoder()
export const dec = new TextDecoder()

export interface BlockSpec {
  transactions?: TransactionInput[]
  timestamp?: number
  /** @default ['proposer-peer', 'member-b', 'member-c'] */
  booth?: string[]
}

/** The block after `prev`: by default one PUT of `k<height>`. */
export function nextBlock (prev: ChainTip, spec: BlockSpec = {}): Block {
  const height = prev.height + 1
  return createBlock({
    prev,
    proposer: 'proposer-peer',
    booth: spec.booth ?? ['proposer-peer', 'member-b', 'member-c'],
    ballot: { round: 1, proposer: 'proposer-peer' },
    timestamp: spec.timestamp ?? 1_000 * height,
    transactions: spec.transactions ?? [{ key: `k${height}`, value: enc.encode(`v${height}`) }]
  })
}

/** n consecutive blocks after `prev` (block h gets timestamp 1000·h unless `timestamp` maps it). */
export function buildChain (prev: ChainTip, n: number, spec: (height: number) => BlockSpec = () => ({})): Block[] {
  const blocks: Block[] = []
  let tip = prev
  for (let i = 0; i < n; i++) {
    const block = nextBlock(tip, spec(tip.height + 1))
    blocks.push(block)
    tip = tipOf(block)
  }
  return blocks
}

export function chainOf (chainId: string, n: number, spec?: (height: number) => BlockSpec): Block[] {
  return buildChain(emptyTip(chainId), n, spec)
}

/** Makes stores for the contract suite; `reopen` gives a fresh store over the same data (LevelDB only). */
export interface StoreHarness {
  name: string
  persistent: boolean
  create: () => Promise<ChainStore>
  reopen: () => Promise<ChainStore>
  cleanup: () => Promise<void>
}

export function memoryHarness (): StoreHarness {
  return {
    name: 'memory',
    persistent: false,
    create: async () => new MemoryChainStore(),
    reopen: async () => { throw new Error('memory store does not persist') },
    cleanup: async () => {}
  }
}

/**
 * Every payload in segment files, and segments so small that every few blocks
 * start a new one: the segment paths run on the contract suite's small chains.
 */
export const SEGMENTED: LevelChainStoreOptions = { inlineMax: 0, segmentMin: 0, segmentBytes: 200 }

export function segmentedHarness (): StoreHarness {
  return { ...levelHarness(SEGMENTED), name: 'level, segments' }
}

export function levelHarness (options: LevelChainStoreOptions = {}): StoreHarness {
  let dir: string | undefined
  let database: NodeDatabase | undefined
  let store: ChainStore | undefined
  const closeCurrent = async (): Promise<void> => {
    await store?.close()
    await database?.close()
    store = undefined
    database = undefined
  }
  return {
    name: 'level',
    persistent: true,
    create: async () => {
      dir = await mkdtemp(join(tmpdir(), 'vguard-store-'))
      database = await openDatabase(dir)
      store = await LevelChainStore.open(database, options)
      return store
    },
    reopen: async () => {
      await closeCurrent()
      if (dir == null) throw new Error('create first')
      database = await openDatabase(dir)
      store = await LevelChainStore.open(database, options)
      return store
    },
    cleanup: async () => {
      await closeCurrent()
      if (dir != null) await rm(dir, { recursive: true, force: true })
      dir = undefined
    }
  }
}

export async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
