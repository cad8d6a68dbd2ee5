/**
 * A chain store in memory: the default for unit tests and for anything that
 * need not survive a restart. Same contract as LevelChainStore (one suite
 * tests both). Blocks are copied in and out, so callers cannot change stored
 * data by mutating what they appended or were handed.
 */
import { BlockHeader } from '../chain/pb/chain.ts'
import { blockFromBytes, encodeBlock, toHex } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { AbstractChainStore } from './base.ts'
import type { AppendItem, ChainMeta, KeyRange, Pointer } from './base.ts'
import type { PinChange } from './pins.ts'
import { TOMBSTONE_OFFSET } from './records.ts'
import type { RangeOptions, StoredHeader, StoredRecord } from './index.ts'

interface MemoryChain {
  /** blocks[h - 1] is block h */
  blocks: Block[]
  byHash: Map<string, number>
  state: Map<string, Pointer>
}

/** A stored block's header as a copy: decoding its few bytes again is the deep copy, the hash is not recomputed. */
function headerCopy (block: Block): Block {
  const headerBytes = block.headerBytes.slice()
  return { header: BlockHeader.decode(headerBytes), headerBytes, hash: block.hash.slice() }
}

/** A stored block as a copy (the level store hands out fresh blocks too). */
function blockCopy (block: Block): Block {
  const copy = headerCopy(block)
  return block.payload == null ? copy : { ...copy, payload: block.payload.slice() }
}

export class MemoryChainStore extends AbstractChainStore {
  private readonly data = new Map<string, MemoryChain>()

  private chain (chainId: string): MemoryChain {
    let chain = this.data.get(chainId)
    if (chain == null) {
      chain = { blocks: [], byHash: new Map(), state: new Map() }
      this.data.set(chainId, chain)
    }
    return chain
  }

  protected async commitAppend (items: AppendItem[], meta: ChainMeta): Promise<void> {
    const chain = this.chain(meta.chainId)
    for (const { block, entries } of items) {
      const copy = blockFromBytes(block.headerBytes.slice(), block.payload?.slice())
      const height = copy.header.height
      chain.blocks[height - 1] = copy
      chain.byHash.set(toHex(copy.hash), height)
      for (const e of entries) {
        if (e.op === 'PUT') chain.state.set(e.key, { height, valueOffset: e.valueOffset, valueLength: e.valueLength })
        // a tombstone, as the level store keeps: a read during the append waits for it (base.ts readable)
        else chain.state.set(e.key, { height, valueOffset: TOMBSTONE_OFFSET, valueLength: TOMBSTONE_OFFSET })
      }
    }
  }

  protected async commitPrune (headers: Block[], meta: ChainMeta): Promise<void> {
    const chain = this.chain(meta.chainId)
    for (const header of headers) chain.blocks[header.header.height - 1] = header
  }

  protected async commitDelete (chainId: string, _keepPins: boolean): Promise<void> {
    this.data.delete(chainId)
  }

  protected async commitPins (_chainId: string, _change: PinChange, _meta?: ChainMeta): Promise<void> {
    // the base class keeps pins and metas in memory already
  }

  protected async readBlock (chainId: string, height: number): Promise<Block | undefined> {
    const block = this.data.get(chainId)?.blocks[height - 1]
    return block == null ? undefined : blockCopy(block)
  }

  // the reads below copy only what they hand out, not whole payloads

  protected override async readHeader (chainId: string, height: number): Promise<StoredHeader | undefined> {
    const block = this.data.get(chainId)?.blocks[height - 1]
    return block == null ? undefined : { block: headerCopy(block), pruned: block.payload == null }
  }

  protected override async valueAt (chainId: string, pointer: Pointer): Promise<Uint8Array | undefined> {
    return this.data.get(chainId)?.blocks[pointer.height - 1]?.payload?.slice(pointer.valueOffset, pointer.valueOffset + pointer.valueLength)
  }

  protected override async * iterateRecords (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredRecord> {
    for (const block of this.stored(chainId, from, to, signal)) {
      yield { height: block.header.height, record: encodeBlock(block), pruned: block.payload == null }
    }
  }

  override async * headers (chainId: string, options: RangeOptions = {}): AsyncGenerator<StoredHeader> {
    const range = this.range(chainId, options)
    if (range == null) return
    for (const block of this.stored(chainId, range[0], range[1], options.signal)) {
      yield { block: headerCopy(block), pruned: block.payload == null }
    }
  }

  protected async readHeightByHash (chainId: string, hash: Uint8Array): Promise<number | undefined> {
    return this.data.get(chainId)?.byHash.get(toHex(hash))
  }

  protected async * iterateBlocks (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Block> {
    for (const block of this.stored(chainId, from, to, signal)) yield blockCopy(block)
  }

  /** The stored blocks themselves: for reads that copy what they hand out. */
  private * stored (chainId: string, from: number, to: number, signal?: AbortSignal): Generator<Block> {
    for (let h = from; h <= to; h++) {
      signal?.throwIfAborted()
      const block = this.data.get(chainId)?.blocks[h - 1]
      if (block == null) return
      yield block
    }
  }

  protected async readPointer (chainId: string, key: string): Promise<Pointer | undefined> {
    return this.data.get(chainId)?.state.get(key)
  }

  protected async * iteratePointers (chainId: string, range: KeyRange = {}): AsyncGenerator<[string, Pointer]> {
    const state = this.data.get(chainId)?.state
    if (state == null) return
    const after = range.after == null ? undefined : Buffer.from(range.after)
    // key order, like LevelDB (UTF-8 byte order equals code point order)
    const keys = [...state.keys()]
      .filter(key => (range.prefix == null || key.startsWith(range.prefix)) && (after == null || Buffer.compare(Buffer.from(key), after) > 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const key of keys) {
      const pointer = state.get(key)
      if (pointer != null) yield [key, pointer]
    }
  }
}
