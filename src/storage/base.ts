/**
 * What both chain store implementations share: the write queue, verification
 * against the tip, the byte accounting, pin rules and the in-memory caches of
 * chain metadata and pins. Subclasses only read and write their medium, and
 * each commit* call must be atomic.
 */
import { emptyTip, encodeBlock, tipOf, verifyHeader, verifyLink, verifyPayload, withoutPayload, parsePayload, HASH_BYTES, MAX_CHAIN_ID_BYTES, MAX_KEY_BYTES, InvalidBlockError } from '../chain/index.ts'
import type { Block, ChainTip, PayloadEntry } from '../chain/index.ts'
import { PayloadPrunedError, StoreClosedError, InvalidPinError, InvalidArgumentError } from './errors.ts'
import type {
  AppendOptions, ChainInfo, DeleteChainOptions, ChainStore, EntriesOptions, PruneOptions, KeyValue, Pin, PruneResult, RangeOptions, RecordRun, RunOptions, StateEntry, StoredHeader, StoredRecord
} from './index.ts'
import { applyPinChange, MAX_PINNED_CHAINS, MAX_PINS_PER_CHAIN, overPinLimit, planPin, planUnpin } from './pins.ts'
import type { PinChange } from './pins.ts'
import { entrySize, isTombstone, isUnknown, writeEntry } from './records.ts'

/** Where a key's current value lies: in the payload of block `height`. */
export interface Pointer {
  height: number
  valueOffset: number
  valueLength: number
}

/** What the store keeps per chain: the public info plus where a retention scan may start. */
export interface ChainMeta extends ChainInfo {
  pruneFrom: number
}

export interface AppendItem {
  block: Block
  entries: PayloadEntry[]
}

/** Bytes a block counts for: header, its hash, and the payload if held. */
export function blockBytes (block: Block): number {
  return block.headerBytes.byteLength + HASH_BYTES + (block.payload?.byteLength ?? 0)
}

const utf8 = new TextEncoder()

const PIN_SHAPES = 'a pin is { type: "key", key } or { type: "range", from, to }'
const PIN_FIELDS: Readonly<Record<Pin['type'], ReadonlySet<string>>> = { key: new Set(['type', 'key']), range: new Set(['type', 'from', 'to']) }

function checkPin (pin: Pin): void {
  if (pin == null || typeof pin !== 'object') throw new InvalidPinError(PIN_SHAPES)
  // a field of another shape was dropped: { type: 'key', key, from, to } pinned the key alone, as
  // a transaction's unknown field is refused (a probe, 2026-12-03)
  const fields = pin.type === 'key' || pin.type === 'range' ? PIN_FIELDS[pin.type] : undefined
  const unknown = fields == null ? undefined : Object.keys(pin).find(field => !fields.has(field))
  if (unknown != null) throw new InvalidPinError(`unknown field ${JSON.stringify(unknown)} in a ${pin.type} pin (${PIN_SHAPES})`)
  if (pin.type === 'key') {
    if (typeof pin.key !== 'string' || pin.key === '' || utf8.encode(pin.key).byteLength > MAX_KEY_BYTES) {
      throw new InvalidPinError('a key pin needs a non-empty key of at most 1 KiB')
    }
    // a lone surrogate is stored as U+FFFD: the pin would name another key after a reopen (no transaction can write it)
    if (!pin.key.isWellFormed()) throw new InvalidPinError('a key pin needs a well-formed unicode key')
    return
  }
  if (pin.type === 'range') {
    if (!Number.isSafeInteger(pin.from) || !Number.isSafeInteger(pin.to) || pin.from < 1 || pin.to < pin.from) {
      throw new InvalidPinError('a range pin needs integer heights 1 ≤ from ≤ to')
    }
    return
  }
  throw new InvalidPinError(PIN_SHAPES)
}

/**
 * Whether a chain could be held under this id: no block names a longer one
 * (verifyHeader). The LevelDB store cannot even form the keys of a longer one
 * (keys.ts), and answered deleteChain and pin with a RangeError where the
 * memory store answered false and true (a review): such an id is an unknown
 * chain to every store.
 */
function holdableChainId (chainId: string): boolean {
  return typeof chainId === 'string' && utf8.encode(chainId).byteLength <= MAX_CHAIN_ID_BYTES
}

/** A key a read may name: a lone surrogate would be encoded as U+FFFD and find another key's value. */
function checkKey (key: string): void {
  if (typeof key !== 'string' || !key.isWellFormed()) throw new InvalidArgumentError('a key is a well-formed unicode string')
}

/** Which keys of a chain's state a scan covers: those under `prefix`, after `after`. */
export interface KeyRange {
  prefix?: string
  after?: string
}

function keyRange (options: EntriesOptions): KeyRange {
  const range: KeyRange = {}
  for (const name of ['prefix', 'after'] as const) {
    const bound = options[name]
    if (bound == null) continue
    // encoded with a U+FFFD in place of a lone surrogate, it would scan other keys than the ones asked for
    if (typeof bound !== 'string' || !bound.isWellFormed()) throw new InvalidArgumentError(`${name}: a well-formed unicode string`)
    range[name] = bound
  }
  return range
}

export abstract class AbstractChainStore implements ChainStore {
  protected readonly metas = new Map<string, ChainMeta>()
  protected readonly pinSets = new Map<string, Pin[]>()
  /** copyId: numbered when first asked, forgotten when the chain is deleted. */
  private readonly copies = new Map<string, number>()
  private copySeq = 0
  // writes run one at a time, in order: a tip read inside a write is current
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false
  /** A write failed halfway (the disk, not the caller): no write runs after it. */
  private stopped?: Error
  /**
   * Each chain's commit in flight. Its state pointers may be readable before
   * its payloads are (the LevelDB store writes the batch and the segment
   * entries side by side) and before tip() shows it: a read that finds one
   * waits for it (readable).
   */
  private readonly committing = new Map<string, Promise<void>>()

  /** Writes blocks, their state changes and the new meta atomically. */
  protected abstract commitAppend (items: AppendItem[], meta: ChainMeta, sync: boolean): Promise<void>
  /** Replaces these blocks by their header-only form and writes the meta, atomically. */
  protected abstract commitPrune (headers: Block[], meta: ChainMeta): Promise<void>
  /** Removes everything of the chain (blocks, hash index, state, pins, meta). */
  protected abstract commitDelete (chainId: string, keepPins: boolean): Promise<void>
  /** Removes and adds these pins, with the chain's meta if it changed, atomically. */
  protected abstract commitPins (chainId: string, change: PinChange, meta?: ChainMeta): Promise<void>
  protected abstract readBlock (chainId: string, height: number): Promise<Block | undefined>
  /** A block's header and whether its payload was pruned; stores that can, override it to skip reading the payload. */
  protected async readHeader (chainId: string, height: number): Promise<StoredHeader | undefined> {
    const block = await this.readBlock(chainId, height)
    return block == null ? undefined : { block: withoutPayload(block), pruned: block.payload == null }
  }
  protected abstract readHeightByHash (chainId: string, hash: Uint8Array): Promise<number | undefined>
  protected abstract iterateBlocks (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncIterable<Block>
  /**
   * A key's state pointer, a deletion's tombstone included (the base class
   * reads it as absent only once the block that wrote it is acknowledged).
   */
  protected abstract readPointer (chainId: string, key: string): Promise<Pointer | undefined>
  /** Every state pointer in key order, tombstones included (as readPointer). */
  /** The state index in key order, tombstones included, within the range. */
  protected abstract iteratePointers (chainId: string, range?: KeyRange): AsyncIterable<[string, Pointer]>

  protected async enqueue<T> (fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreClosedError()
    if (this.stopped != null) throw new StoreClosedError(`the store stopped after a failed write (${this.stopped.message}); reopen it to recover`, false)
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => {})
    return await run
  }

  /** Reads of the medium after close say so (the database under them is closed next). */
  protected checkOpen (): void {
    if (this.closed) throw new StoreClosedError()
  }

  /** A read the close overtook (the database closed under it) fails as a read after close. */
  protected readFailed (err: unknown): unknown {
    if (!this.closed || err instanceof StoreClosedError) return err
    return new StoreClosedError(`the store was closed during the read (${(err as Error).message})`)
  }

  private tipFromMeta (chainId: string): ChainTip {
    const meta = this.metas.get(chainId)
    return meta == null ? emptyTip(chainId) : { chainId, height: meta.height, hash: meta.tipHash.slice() }
  }

  async append (block: Block, options: AppendOptions = {}): Promise<ChainTip> {
    return await this.appendMany([block], options)
  }

  async appendMany (blocks: Block[], options: AppendOptions = {}): Promise<ChainTip> {
    if (blocks.length === 0) throw new InvalidBlockError('BadHeader', 'Invalid block: nothing to append')
    const chainId = blocks[0].header.chainId
    // Checks that need no tip (hash, header, payload) run before waiting for
    // the write lock, so they overlap a write in progress (bulk sync pipelines
    // this way); only the links to the tip are checked under the lock.
    const items: AppendItem[] = []
    for (const block of blocks) {
      verifyHeader(block)
      items.push({ block, entries: verifyPayload(block) ?? [] })
    }
    return await this.enqueue(async () => {
      let tip = this.tipFromMeta(chainId)
      let added = 0
      for (const { block } of items) {
        verifyLink(block, tip)
        added += blockBytes(block)
        tip = tipOf(block)
      }
      const last = blocks[blocks.length - 1]
      const old = this.metas.get(chainId)
      const meta: ChainMeta = {
        chainId,
        height: tip.height,
        // a copy: the caller's block may be mutated after the append
        tipHash: tip.hash.slice(),
        bytes: (old?.bytes ?? 0) + added,
        payloadBytes: (old?.payloadBytes ?? 0) + items.reduce((n, i) => n + i.block.header.payloadBytes, 0),
        prunedBlocks: old?.prunedBlocks ?? 0,
        pruneFrom: old?.pruneFrom ?? 1,
        tipTimestamp: last.header.timestamp
      }
      const commit = this.commitAppend(items, meta, options.sync ?? true)
      this.committing.set(chainId, commit)
      try {
        await commit
      } finally {
        // in the turn the tip moves in: a read that finds no commit here finds the tip past it
        this.committing.delete(chainId)
      }
      this.metas.set(chainId, meta)
      return tip
    })
  }

  async tip (chainId: string): Promise<ChainTip> {
    return this.tipFromMeta(chainId)
  }

  private infoOf (meta: ChainMeta): ChainInfo {
    return {
      chainId: meta.chainId,
      height: meta.height,
      tipHash: meta.tipHash.slice(),
      bytes: meta.bytes,
      payloadBytes: meta.payloadBytes,
      prunedBlocks: meta.prunedBlocks,
      tipTimestamp: meta.tipTimestamp
    }
  }

  async info (chainId: string): Promise<ChainInfo | undefined> {
    const meta = this.metas.get(chainId)
    return meta == null ? undefined : this.infoOf(meta)
  }

  async chains (): Promise<ChainInfo[]> {
    return [...this.metas.values()]
      .map(m => this.infoOf(m))
      .sort((a, b) => a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0)
  }

  async getBlock (chainId: string, height: number): Promise<Block | undefined> {
    this.checkOpen()
    const meta = this.metas.get(chainId)
    if (meta == null || !Number.isSafeInteger(height) || height < 1 || height > meta.height) return undefined
    try {
      return await this.readBlock(chainId, height)
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  async getBlockByHash (chainId: string, hash: Uint8Array): Promise<Block | undefined> {
    this.checkOpen()
    if (!this.metas.has(chainId) || hash.byteLength !== HASH_BYTES) return undefined
    let height: number | undefined
    try {
      height = await this.readHeightByHash(chainId, hash)
    } catch (err) {
      throw this.readFailed(err)
    }
    return height == null ? undefined : await this.getBlock(chainId, height)
  }

  /** The heights of a range read that the chain holds, or undefined if none. */
  protected range (chainId: string, options: RangeOptions): [number, number] | undefined {
    this.checkOpen()
    // NaN would pass every comparison below, and each medium would read something else for it
    for (const bound of [options.from, options.to]) {
      if (bound != null && !Number.isInteger(bound)) throw new InvalidArgumentError(`a range bound is an integer height, got ${String(bound)}`)
    }
    const meta = this.metas.get(chainId)
    if (meta == null) return undefined
    const from = Math.max(1, options.from ?? 1)
    const to = Math.min(meta.height, options.to ?? meta.height)
    return from > to ? undefined : [from, to]
  }

  async * blocks (chainId: string, options: RangeOptions = {}): AsyncGenerator<Block> {
    const range = this.range(chainId, options)
    if (range == null) return
    try {
      yield * this.iterateBlocks(chainId, range[0], range[1], options.signal)
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  async * records (chainId: string, options: RangeOptions = {}): AsyncGenerator<StoredRecord> {
    const range = this.range(chainId, options)
    if (range == null) return
    try {
      yield * this.iterateRecords(chainId, range[0], range[1], options.signal)
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  /** Stores whose medium holds encoded blocks override this to skip the decoding. */
  protected async * iterateRecords (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredRecord> {
    for await (const block of this.iterateBlocks(chainId, from, to, signal)) {
      yield { height: block.header.height, record: encodeBlock(block), pruned: block.payload == null }
    }
  }

  async * runs (chainId: string, options: RunOptions): AsyncGenerator<RecordRun> {
    const range = this.range(chainId, options)
    if (range == null) return
    try {
      yield * this.iterateRuns(chainId, range[0], range[1], options)
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  /** Runs assembled from records; the LevelDB store reads them from its segments instead. */
  protected async * iterateRuns (chainId: string, from: number, to: number, options: RunOptions): AsyncGenerator<RecordRun> {
    let pieces: StoredRecord[] = []
    let size = 0
    const run = (): RecordRun => {
      const bytes = new Uint8Array(size)
      let pos = 0
      for (const { record } of pieces) pos = writeEntry(bytes, pos, record)
      const made = { from: pieces[0].height, to: pieces[pieces.length - 1].height, bytes, pruned: pieces[0].pruned }
      pieces = []
      size = 0
      return made
    }
    for await (const record of this.iterateRecords(chainId, from, to, options.signal)) {
      const entry = entrySize(record.record.byteLength)
      const full = size + entry > options.maxBytes || pieces.length >= (options.maxBlocks ?? Infinity)
      if (pieces.length > 0 && (record.pruned || pieces[0].pruned || full)) {
        await options.beforeRead?.(size)
        yield run()
      }
      pieces.push(record)
      size += entry
    }
    if (pieces.length > 0) {
      await options.beforeRead?.(size)
      yield run()
    }
  }

  async * headers (chainId: string, options: RangeOptions = {}): AsyncGenerator<StoredHeader> {
    for await (const block of this.blocks(chainId, options)) {
      yield { block: withoutPayload(block), pruned: block.payload == null }
    }
  }

  async get (chainId: string, key: string): Promise<KeyValue | undefined> {
    try {
      return await this.getValue(chainId, key)
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  private async getValue (chainId: string, key: string): Promise<KeyValue | undefined> {
    this.checkOpen()
    checkKey(key)
    if (!this.metas.has(chainId)) return undefined
    const found = await this.readPointer(chainId, key)
    if (found == null) return undefined
    // a deletion in flight too: its append may yet fail (a review found "absent" answered before it was acknowledged)
    const pointer = await this.readable(chainId, key, found)
    if (pointer == null || isTombstone(pointer)) return undefined
    if (isUnknown(pointer)) {
      throw new PayloadPrunedError(`the value of ${key} as of block ${pointer.height} of ${chainId} is unknown: the blocks after it were cut at open (a crash during their append, never acknowledged, left their payloads short), and a pruned block below them may have written the key last`)
    }
    const value = await this.valueAt(chainId, pointer)
    if (value == null) throw new PayloadPrunedError(`the value of ${key} was written by block ${pointer.height} of ${chainId}, whose payload was pruned`)
    return { key, value, height: pointer.height }
  }

  /**
   * The pointer to read `key` by, once the block it names is acknowledged: a
   * pointer above the tip was written by the append in flight, whose payload
   * may not be in place yet. The value is then read as that pointer says: the
   * answer is the state as of some moment during the read, never past the tip.
   */
  private async readable (chainId: string, key: string, pointer: Pointer): Promise<Pointer | undefined> {
    const height = (): number => this.metas.get(chainId)?.height ?? 0
    if (pointer.height <= height()) return pointer
    // its failure is the writer's to report
    await this.committing.get(chainId)?.catch(() => {})
    if (pointer.height <= height()) return pointer
    // the append failed after its batch went in; the store took the batch back (LevelChainStore's
    // takeBack): the key's pointer now is the acknowledged one (a review found such keys unreadable)
    const now = await this.readPointer(chainId, key)
    if (now == null || now.height <= height() || this.stopped == null) return now
    // not taken back: its payloads may be missing or partial
    throw new StoreClosedError(`the store stopped after a failed write (${this.stopped.message}); reopen it to recover`, false)
  }

  /** The value a pointer refers to (a copy), or undefined if that block's payload was pruned. */
  protected async valueAt (chainId: string, pointer: Pointer): Promise<Uint8Array | undefined> {
    const block = await this.readBlock(chainId, pointer.height)
    if (block?.payload == null) return undefined
    return block.payload.slice(pointer.valueOffset, pointer.valueOffset + pointer.valueLength)
  }

  async * entries (chainId: string, options: EntriesOptions = {}): AsyncGenerator<StateEntry> {
    const range = keyRange(options)
    const values = options.values !== false
    this.checkOpen()
    if (!this.metas.has(chainId)) return
    try {
      for await (const [key, found] of this.iteratePointers(chainId, range)) {
        const pointer = await this.readable(chainId, key, found)
        if (pointer == null || isTombstone(pointer)) continue
        if (!values) yield { key, height: pointer.height }
        else yield { key, height: pointer.height, value: isUnknown(pointer) ? undefined : await this.valueAt(chainId, pointer) }
      }
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  async deleteChain (chainId: string, options: DeleteChainOptions = {}): Promise<boolean> {
    const keepPins = options.keepPins === true
    return await this.enqueue(async () => {
      // nothing can be stored under it, pins included (pin refuses it)
      if (!holdableChainId(chainId)) return false
      const held = this.metas.has(chainId)
      await this.commitDelete(chainId, keepPins)
      this.metas.delete(chainId)
      this.copies.delete(chainId)
      if (!keepPins) this.pinSets.delete(chainId)
      return held
    })
  }

  pruneFrom (chainId: string): number {
    return Math.max(1, this.metas.get(chainId)?.pruneFrom ?? 1)
  }

  private rangePinned (chainId: string, height: number): boolean {
    return (this.pinSets.get(chainId) ?? []).some(p => p.type === 'range' && p.from <= height && height <= p.to)
  }

  copyId (chainId: string): number | undefined {
    if (!this.metas.has(chainId)) return undefined
    let id = this.copies.get(chainId)
    if (id == null) {
      id = ++this.copySeq
      this.copies.set(chainId, id)
    }
    return id
  }

  async prune (chainId: string, heights: number[], options: PruneOptions = {}): Promise<PruneResult> {
    return await this.enqueue(async () => {
      const result: PruneResult = { pruned: [], pinned: [], freed: 0, pruneFrom: 0 }
      const meta = this.metas.get(chainId)
      if (meta == null) return result
      if (options.copy != null && this.copyId(chainId) !== options.copy) return result
      result.pruneFrom = meta.pruneFrom
      const keyPins = new Set((this.pinSets.get(chainId) ?? []).flatMap(p => p.type === 'key' ? [p.key] : []))
      const headers: Block[] = []
      for (const height of [...new Set(heights)].sort((a, b) => a - b)) {
        if (!Number.isSafeInteger(height) || height < 1 || height > meta.height) continue
        if (this.rangePinned(chainId, height)) {
          result.pinned.push(height)
          continue
        }
        const stored = await this.readHeader(chainId, height)
        if (stored == null || stored.pruned) continue
        // a key pin keeps every block that writes the key (the evidence)
        if (keyPins.size > 0) {
          const payload = (await this.readBlock(chainId, height))?.payload
          if (payload != null && parsePayload(payload).some(e => keyPins.has(e.key))) {
            result.pinned.push(height)
            continue
          }
        }
        headers.push(stored.block)
        result.pruned.push(height)
        result.freed += stored.block.header.payloadBytes
      }
      // an unpin since the scan began moved the watermark back over blocks the scan never looked at
      const considered = options.scannedFrom == null || options.scannedFrom <= meta.pruneFrom
      const pruneFrom = considered ? Math.max(meta.pruneFrom, Math.min(options.watermark ?? 0, meta.height + 1)) : meta.pruneFrom
      result.pruneFrom = pruneFrom
      if (headers.length === 0 && pruneFrom === meta.pruneFrom) return result
      const next: ChainMeta = {
        ...meta,
        bytes: meta.bytes - result.freed,
        payloadBytes: meta.payloadBytes - result.freed,
        prunedBlocks: meta.prunedBlocks + headers.length,
        pruneFrom
      }
      await this.commitPrune(headers, next)
      this.metas.set(chainId, next)
      return result
    })
  }

  async pin (chainId: string, pin: Pin): Promise<boolean> {
    checkPin(pin)
    if (!holdableChainId(chainId)) throw new InvalidPinError(`a pin names a chain id of at most ${MAX_CHAIN_ID_BYTES} bytes`)
    const copy: Pin = pin.type === 'key' ? { type: 'key', key: pin.key } : { type: 'range', from: pin.from, to: pin.to }
    return await this.enqueue(async () => {
      const pins = this.pinSets.get(chainId) ?? []
      const change = planPin(pins, copy)
      if (change == null) return false
      if (overPinLimit(pins, change)) throw new InvalidPinError(`chain ${chainId} has ${pins.length} pins, the most a chain takes is ${MAX_PINS_PER_CHAIN}: pin a range of heights (one pin), or unpin some`)
      if (pins.length === 0 && this.pinSets.size >= MAX_PINNED_CHAINS) throw new InvalidPinError(`pins are kept for ${MAX_PINNED_CHAINS} chains, the most a node takes: unpin a chain's pins first`)
      await this.commitPins(chainId, change)
      this.pinSets.set(chainId, applyPinChange(pins, change))
      return true
    })
  }

  async unpin (chainId: string, pin: Pin): Promise<boolean> {
    checkPin(pin)
    return await this.enqueue(async () => {
      const pins = this.pinSets.get(chainId) ?? []
      const change = planUnpin(pins, pin)
      if (change == null) return false
      // a height unpinned out of a range splits it in two: unpins one at a time grew the list past the bound (a review)
      if (overPinLimit(pins, change)) throw new InvalidPinError(`chain ${chainId} has ${pins.length} pins, the most a chain takes is ${MAX_PINS_PER_CHAIN}, and this unpin would split a range pin in two: unpin a wider range (the whole pin, or up to one of its ends)`)
      // blocks the pin kept are below the retention watermark: scan them again
      const meta = this.metas.get(chainId)
      const from = change.from ?? 1
      const next = meta != null && meta.pruneFrom > from ? { ...meta, pruneFrom: from } : undefined
      await this.commitPins(chainId, change, next)
      if (next != null) this.metas.set(chainId, next)
      const left = applyPinChange(pins, change)
      // a chain with no pins left no longer counts against MAX_PINNED_CHAINS
      if (left.length === 0) this.pinSets.delete(chainId)
      else this.pinSets.set(chainId, left)
      return true
    })
  }

  pins (chainId: string): Pin[] {
    this.checkOpen()
    return (this.pinSets.get(chainId) ?? []).map(p => ({ ...p }))
  }

  /**
   * Refuses every write from now on. For a write that failed after part of it
   * reached the disk: what is there no longer matches what the store holds in
   * memory, and only open() (which checks and repairs) may go on from it.
   */
  protected stop (err: Error): void {
    this.stopped ??= err
  }

  async flush (chainId: string): Promise<void> {
    await this.enqueue(async () => { await this.commitFlush(chainId) })
  }

  /** Makes the chain's appends durable; nothing to do where nothing is on disk. */
  protected async commitFlush (_chainId: string): Promise<void> {}

  async close (): Promise<void> {
    this.closed = true
    await this.tail
  }
}
