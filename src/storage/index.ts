/**
 * @packageDocumentation
 *
 * The chain store: every chain a node holds (its own, the shared one, and
 * backup copies of other vehicles' chains), with each chain's key-value state.
 * One interface, two implementations (LevelDB and memory) that pass one
 * contract suite.
 *
 * Guarantees:
 * - an append is atomic: the blocks, the tip and the state change together or
 *   not at all, and only if the blocks extend the tip (InvalidBlockError
 *   otherwise, with nothing changed);
 * - writes are serialized per store, so a tip read inside a write is current;
 * - with `sync: true` (the default) an acknowledged append survives a machine
 *   crash, not only a process crash (see level.ts); appends without it become
 *   durable with the chain's next synced append or flush();
 * - pruning removes payloads only; headers stay, so the chain still verifies,
 *   and pinned blocks are never pruned.
 *
 * @example
 *
 * ```ts
 * import { openDatabase } from './database.ts'
 * import { LevelChainStore } from './level.ts'
 * import { createBlock, emptyTip } from '../chain/index.ts'
 *
 * const database = await openDatabase('./data')
 * const store = await LevelChainStore.open(database)
 * const block = createBlock({ prev: await store.tip('car-1'), proposer: 'car-1', timestamp: Date.now(),
 *   transactions: [{ key: 'speed', value: new TextEncoder().encode('42') }] })
 * await store.append(block)
 * const { value, height } = await store.get('car-1', 'speed') ?? {}
 * ```
 */
import type { Block, ChainTip } from '../chain/index.ts'

export type { Block, ChainTip } from '../chain/index.ts'
export { InvalidBlockError, PayloadPrunedError, StoreClosedError, InvalidPinError, InvalidArgumentError, ChainNotFoundError, DiskFullError } from './errors.ts'
export { ENTRY_TAG, entryOffsets, entrySize, writeEntry } from './records.ts'
export { blockBytes } from './base.ts'

export interface ChainInfo {
  chainId: string
  height: number
  tipHash: Uint8Array
  /** Logical bytes held for this chain: every header (+ its hash) and every unpruned payload. */
  bytes: number
  /** Bytes of payloads not pruned. */
  payloadBytes: number
  prunedBlocks: number
  /** Timestamp of the tip block (0 for none). */
  tipTimestamp: number
}

/** A key's current value and the height of the block that wrote it. */
export interface KeyValue {
  key: string
  value: Uint8Array
  height: number
}

/** A state entry while iterating; value is undefined when the block that wrote it was pruned. */
export interface StateEntry {
  key: string
  height: number
  value?: Uint8Array
}

export interface EntriesOptions {
  /** Only keys that start with it. */
  prefix?: string
  /** Only keys after it (exclusive): where the next page starts. */
  after?: string
  /** Read each value (default true); false: `value` is left out and nothing but the index is read. */
  values?: boolean
}

/** Never pruned: every block that writes the key, or every block in the range (inclusive). */
export type Pin = { type: 'key', key: string } | { type: 'range', from: number, to: number }

export interface AppendOptions {
  /**
   * Flush to stable storage before resolving. Committed blocks need it: an
   * acknowledged commit must survive a power cut. @default true
   */
  sync?: boolean
}

export interface DeleteChainOptions {
  keepPins?: boolean
}

export interface PruneOptions {
  watermark?: number
  /** Where the caller's scan began (its pruneFrom then). */
  scannedFrom?: number
  copy?: number
}

/** Bounds that are not integers are refused (InvalidArgumentError); integers past either end are clamped. */
export interface RangeOptions {
  /** First height. @default 1 */
  from?: number
  /** Last height, inclusive. @default the tip */
  to?: number
  /** Stops the iteration (it throws the signal's reason). */
  signal?: AbortSignal
}

/** A header as the store holds it: the block without payload, and whether its payload was pruned. */
export interface StoredHeader {
  block: Block
  pruned: boolean
}

/** A stored block in the encoding sync and replicate carry. */
export interface StoredRecord {
  height: number
  /** The block's BlockRecord encoding (chain.proto): header bytes and, unless pruned, payload. */
  record: Uint8Array
  pruned: boolean
}

/**
 * Consecutive stored blocks as one buffer: each block a segment entry (tag
 * 0x22, varint length, its BlockRecord), back to back. That is a protobuf
 * `repeated` field 4 of BlockRecords as it stands — a SyncResponse's blocks —
 * so a run is a frame body without assembling it block by block.
 */
export interface RecordRun {
  from: number
  to: number
  bytes: Uint8Array
  /** A pruned block comes alone, in a run of its own, with its header only. */
  pruned: boolean
}

export interface RunOptions extends RangeOptions {
  /** A run holds whole blocks up to this many bytes (at least one block). */
  maxBytes: number
  /** And at most this many blocks. @default unbounded */
  maxBlocks?: number
  /**
   * Awaited with a run's size before its bytes are read (the run's buffer is
   * that size). A caller that answers for what it holds against a budget takes
   * its room here, so a run the store reads ahead is counted before it exists;
   * a rejection ends the iteration with it.
   */
  beforeRead?: (bytes: number) => Promise<void>
}

export interface PruneResult {
  /** Heights whose payload this call removed. */
  pruned: number[]
  /** Heights skipped because a pin covers them. */
  pinned: number[]
  /** Payload bytes freed. */
  freed: number
  /** The chain's retention watermark as this call left it (0: not held, or another copy). */
  pruneFrom: number
}

export interface ChainStore {
  /**
   * Appends one block on the chain's tip.
   *
   * @throws InvalidBlockError if it does not verify or extend the tip (nothing changes)
   */
  append: (block: Block, options?: AppendOptions) => Promise<ChainTip>
  /** Appends consecutive blocks of one chain in one atomic batch (all or none). */
  appendMany: (blocks: Block[], options?: AppendOptions) => Promise<ChainTip>
  /** The chain's tip; height 0 and the zero hash if the chain is not held. */
  tip: (chainId: string) => Promise<ChainTip>
  info: (chainId: string) => Promise<ChainInfo | undefined>
  /** Every chain held, sorted by id. */
  chains: () => Promise<ChainInfo[]>
  getBlock: (chainId: string, height: number) => Promise<Block | undefined>
  getBlockByHash: (chainId: string, hash: Uint8Array) => Promise<Block | undefined>
  /** Blocks in height order, streamed (not loaded whole). Pruned blocks come without payload. */
  blocks: (chainId: string, options?: RangeOptions) => AsyncIterable<Block>
  /**
   * Blocks in height order as BlockRecord encodings, streamed: what sync and
   * replicate send. The LevelDB store hands out its stored bytes without
   * decoding them.
   */
  records: (chainId: string, options?: RangeOptions) => AsyncIterable<StoredRecord>
  /**
   * Blocks in height order as runs of entries (see RecordRun): what bulk
   * transfers send. The LevelDB store reads consecutive large blocks from
   * their segment in one read, straight into the run.
   */
  runs: (chainId: string, options: RunOptions) => AsyncIterable<RecordRun>
  /** Headers in height order, with whether each payload was pruned. */
  headers: (chainId: string, options?: RangeOptions) => AsyncIterable<StoredHeader>
  /**
   * A key's current value, or undefined if never written or deleted.
   *
   * @throws PayloadPrunedError if the block that wrote the value was pruned
   * @throws InvalidArgumentError if the key is not well-formed unicode (no transaction can write it)
   */
  get: (chainId: string, key: string) => Promise<KeyValue | undefined>
  /**
   * The chain's state in key order (UTF-8 byte order): all of it, or the keys
   * under `prefix`, after `after` (a page's last key). Without `values` the
   * entries carry keys and heights only, and no block is read.
   *
   * @throws InvalidArgumentError if `prefix` or `after` is not well-formed unicode
   */
  entries: (chainId: string, options?: EntriesOptions) => AsyncIterable<StateEntry>
  /**
   * Removes a chain, its state and its pins (release-and-forward). Resolves
   * true if it was held. `keepPins`: the pins stay (a copy replaced by a new
   * one of the same chain: what a user asked this node to keep is not the
   * copy's to drop); a crash midway finishes the delete with them kept too.
   * A chain id over 128 bytes names no chain (false), here as in prune and flush.
   */
  deleteChain: (chainId: string, options?: DeleteChainOptions) => Promise<boolean>
  /**
   * Removes the payloads of these blocks, keeping their headers. Pinned blocks
   * are skipped. `watermark`: the caller has considered every block below it
   * (each is now pruned or pinned), so later scans may start there; not if
   * the watermark went below `scannedFrom` since (an unpin), for the blocks
   * the unpin freed were not considered. `copy`:
   * prune only if the chain is still that copy (copyId); a copy taken since
   * (the chain deleted and fetched again meanwhile) is left alone.
   */
  prune: (chainId: string, heights: number[], options?: PruneOptions) => Promise<PruneResult>
  /**
   * Which copy of the chain this store holds now, if any: another number once
   * the chain is deleted and taken again (within this process).
   */
  copyId: (chainId: string) => number | undefined
  /** Where a retention scan may start: every block below is pruned or pinned. */
  pruneFrom: (chainId: string) => number
  /**
   * Keeps these blocks from retention. Resolves false if they were pinned
   * already (a range inside a pinned one changes nothing); a new range absorbs
   * the ranges it overlaps or touches.
   *
   * @throws InvalidPinError for a malformed pin, or a chain id over 128 bytes (no chain has one)
   */
  pin: (chainId: string, pin: Pin) => Promise<boolean>
  /**
   * Lets retention prune these blocks again: a key pin is removed, a range's
   * heights are taken out of every pinned range (1-3 less 2 leaves 1-1 and
   * 3-3). Resolves false if none of them was pinned.
   */
  unpin: (chainId: string, pin: Pin) => Promise<boolean>
  pins: (chainId: string) => Pin[]
  /**
   * Makes every append to the chain so far durable, as `sync: true` makes one:
   * bulk writers append without sync and flush once. A synced write elsewhere
   * (the node's other records) does not do this: payloads in segment files
   * are flushed only here and by synced appends.
   */
  flush: (chainId: string) => Promise<void>
  /** Waits for queued writes, then refuses new ones. Does not close the database it was given. */
  close: () => Promise<void>
}

export { MemoryChainStore } from './memory.ts'
export { LevelChainStore } from './level.ts'
