/**
 * The chain store on the node's LevelDB.
 *
 * Keys (see keys.ts) carry the `!chains!` sublevel prefix but are written
 * through the root database: the layout is exactly `db.sublevel('chains')`'s,
 * without abstract-level re-prefixing every operation of a batch (measured
 * 1.6x slower on 2,000-operation batches).
 *
 * Durability — where `sync: true` is used and why:
 * - Appends default to `sync: true`: a block that consensus or replication
 *   acknowledges as committed must survive a power cut, and LevelDB only
 *   promises that after the write-ahead log is fsynced. Without it a kill -9
 *   loses nothing (the log is written with write() before the batch resolves
 *   and the OS keeps it), but a machine crash can lose the last appends.
 *   Bulk callers pass sync once per batch of blocks, not per block.
 * - Every append is ONE atomic batch: block records, hash index and state
 *   pointers together (and the chain meta every META_EVERY blocks). After any
 *   crash the records on disk are a consistent prefix of the chain with its
 *   state; open() derives the tip from the last meta plus the records after it.
 * - Pins use sync: a pin is a user's promise to keep evidence.
 * - deleteChain first writes (with sync) a `deleting` mark on the meta, then
 *   clears the chain's ranges, then removes the meta; open() finishes a delete
 *   a crash interrupted, so a half-deleted chain never comes back.
 * - Prunes do not sync: losing one only keeps a payload a little longer, and
 *   the batch is still atomic.
 */
import { ChainMeta as PbChainMeta } from './pb/store.ts'
import type { Block } from '../chain/index.ts'
import type { NodeDatabase, BinaryLevel } from './database.ts'
import { AbstractChainStore, blockBytes } from './base.ts'
import type { AppendItem, ChainMeta, Pointer } from './base.ts'
import { ChainKeys, TYPE_BLOCK, TYPE_STATE, prefixEnd } from './keys.ts'
import { decodeHeight, decodePointer, decodeRecord, encodeHeight, encodeRecord, pointerBytes, wireRecord } from './records.ts'
import type { Pin, StoredRecord } from './index.ts'

/** The sublevel name whose prefix our keys carry. */
export const CHAINS_SUBLEVEL = 'chains'

/**
 * The chain meta (tip and byte counters) is written with a chain's first block
 * and then every META_EVERY blocks, not with every append: for small blocks
 * one more operation per batch measured ~15-25% of the append cost. open()
 * rolls the meta forward over the block records written after it.
 */
export const META_EVERY = 64

/** Bytes of records one iterator round trip fetches when streaming blocks. */
const READ_AHEAD_BYTES = 1024 * 1024

type Op = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

const EMPTY = new Uint8Array(0)

/** classic-level hands out Buffers even for 'view'; callers get plain Uint8Arrays. */
function plain (bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
}

function toPb (meta: ChainMeta, deleting = false): Uint8Array {
  return PbChainMeta.encode({ ...meta, tipHash: meta.tipHash as Uint8Array<ArrayBuffer>, deleting })
}

export class LevelChainStore extends AbstractChainStore {
  private readonly db: BinaryLevel
  private readonly keys: ChainKeys
  /** Height of the meta on disk, per chain (it may lag the tip by < META_EVERY blocks). */
  private readonly persistedHeight = new Map<string, number>()

  private constructor (database: NodeDatabase) {
    super()
    this.db = database.db
    this.keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
  }

  /** Opens the store on an open database: loads chain metas and pins, finishes interrupted deletes. */
  static async open (database: NodeDatabase): Promise<LevelChainStore> {
    const store = new LevelChainStore(database)
    await store.load()
    return store
  }

  private async load (): Promise<void> {
    const unfinished: string[] = []
    for await (const value of this.db.values(this.keys.metaRange())) {
      const pb = PbChainMeta.decode(plain(value))
      if (pb.deleting) {
        unfinished.push(pb.chainId)
        continue
      }
      const { deleting: _, ...meta } = pb
      this.persistedHeight.set(meta.chainId, meta.height)
      this.metas.set(meta.chainId, await this.rollForward({ ...meta, pruneFrom: Math.max(1, meta.pruneFrom) }))
    }
    for (const chainId of unfinished) await this.commitDelete(chainId)
    for await (const key of this.db.keys(this.keys.pinsRange())) {
      const parsed = this.keys.parsePin(plain(key))
      if (parsed == null) continue
      this.pinSets.set(parsed.chainId, [...(this.pinSets.get(parsed.chainId) ?? []), parsed.pin])
    }
  }

  /**
   * Brings a meta read from disk up to the last block record: blocks appended
   * after the meta was last written. Each record went in with its state and
   * hash index in one batch, so the records on disk always form a consistent
   * prefix of the chain, and the meta follows from them.
   */
  private async rollForward (meta: ChainMeta): Promise<ChainMeta> {
    let m = meta
    const end = prefixEnd(this.keys.chainPrefix(TYPE_BLOCK, meta.chainId))
    for await (const value of this.db.values({ gte: this.keys.block(meta.chainId, meta.height + 1), lt: end })) {
      const block = decodeRecord(plain(value))
      if (block.header.height !== m.height + 1) break
      m = {
        ...m,
        height: block.header.height,
        tipHash: block.hash.slice(),
        bytes: m.bytes + blockBytes(block),
        payloadBytes: m.payloadBytes + (block.payload?.byteLength ?? 0),
        tipTimestamp: block.header.timestamp
      }
    }
    return m
  }

  /** Writes the metas that lag their tips, so the next open need not roll forward. */
  override async close (): Promise<void> {
    await super.close()
    if (this.db.status !== 'open') return
    const batch = this.db.batch()
    let dirty = 0
    for (const meta of this.metas.values()) {
      if (this.persistedHeight.get(meta.chainId) === meta.height) continue
      batch.put(this.keys.meta(meta.chainId), toPb(meta))
      this.persistedHeight.set(meta.chainId, meta.height)
      dirty++
    }
    if (dirty > 0) await batch.write()
    else await batch.close()
  }

  protected async commitAppend (items: AppendItem[], meta: ChainMeta, sync: boolean): Promise<void> {
    const { chainId } = meta
    // a chained batch: measured ~1.4x cheaper per operation than an array batch
    const batch = this.db.batch()
    const statePrefix = this.keys.chainPrefix(TYPE_STATE, chainId)
    const prefixLength = statePrefix.byteLength
    for (const { block, entries } of items) {
      const height = block.header.height
      batch.put(this.keys.block(chainId, height), encodeRecord(block))
      batch.put(this.keys.hash(chainId, block.hash), encodeHeight(height))
      const payload = block.payload ?? EMPTY
      // one state pointer per transaction: this loop runs 100-1,000 times per
      // block, so keys are filled byte by byte (no subarray object per key)
      for (const e of entries) {
        const key = new Uint8Array(prefixLength + e.keyLength)
        key.set(statePrefix)
        for (let i = 0, from = e.keyOffset; i < e.keyLength; i++) key[prefixLength + i] = payload[from + i]
        // within one batch later operations win, so a key written twice ends with its last value
        if (e.op === 'PUT') batch.put(key, pointerBytes(height, e.valueOffset, e.valueLength))
        else batch.del(key)
      }
    }
    const persisted = this.persistedHeight.get(chainId)
    const writeMeta = persisted == null || meta.height - persisted >= META_EVERY
    if (writeMeta) batch.put(this.keys.meta(chainId), toPb(meta))
    await batch.write({ sync })
    if (writeMeta) this.persistedHeight.set(chainId, meta.height)
  }

  protected async commitPrune (headers: Block[], meta: ChainMeta): Promise<void> {
    const ops: Op[] = headers.map(h => ({ type: 'put', key: this.keys.block(meta.chainId, h.header.height), value: encodeRecord(h) }))
    ops.push({ type: 'put', key: this.keys.meta(meta.chainId), value: toPb(meta) })
    await this.db.batch(ops, { sync: false })
    this.persistedHeight.set(meta.chainId, meta.height)
  }

  protected async commitDelete (chainId: string): Promise<void> {
    const meta = this.metas.get(chainId)
    if (meta != null) await this.db.put(this.keys.meta(chainId), toPb(meta, true), { sync: true })
    for (const range of this.keys.chainRanges(chainId)) await this.db.clear(range)
    await this.db.del(this.keys.meta(chainId))
    this.persistedHeight.delete(chainId)
  }

  protected async commitPin (chainId: string, pin: Pin, op: 'add' | 'remove', meta?: ChainMeta): Promise<void> {
    const key = pin.type === 'key' ? this.keys.pinKey(chainId, pin.key) : this.keys.pinRange(chainId, pin.from, pin.to)
    const ops: Op[] = [op === 'add' ? { type: 'put', key, value: EMPTY } : { type: 'del', key }]
    if (meta != null) ops.push({ type: 'put', key: this.keys.meta(chainId), value: toPb(meta) })
    await this.db.batch(ops, { sync: true })
    if (meta != null) this.persistedHeight.set(chainId, meta.height)
  }

  protected async readBlock (chainId: string, height: number): Promise<Block | undefined> {
    const bytes = await this.db.get(this.keys.block(chainId, height))
    return bytes == null ? undefined : decodeRecord(plain(bytes))
  }

  protected async readHeightByHash (chainId: string, hash: Uint8Array): Promise<number | undefined> {
    const bytes = await this.db.get(this.keys.hash(chainId, hash))
    return bytes == null ? undefined : decodeHeight(bytes)
  }

  /**
   * The block records of heights from..to, read ahead: records are large (a
   * block each), so each thread-pool round trip fetches about
   * READ_AHEAD_BYTES of them (classic-level's default budget, 16 KiB, meant
   * one round trip per block), and the next round trip is started before the
   * caller consumes the current one, so disk reads overlap the sending.
   */
  private async * recordValues (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    // a bulk scan: fillCache false keeps it from evicting the block cache's hot entries (LevelDB's advice for scans)
    const iterator = this.db.values({ gte: this.keys.block(chainId, from), lte: this.keys.block(chainId, to), highWaterMarkBytes: READ_AHEAD_BYTES, fillCache: false })
    try {
      let next = iterator.nextv(1000)
      while (true) {
        const values = await next
        if (values.length === 0) return
        next = iterator.nextv(1000)
        // awaited on the next turn; this only keeps a failure after an early exit from counting as unhandled
        next.catch(() => {})
        for (const value of values) {
          signal?.throwIfAborted()
          yield plain(value)
        }
      }
    } finally {
      await iterator.close()
    }
  }

  protected async * iterateBlocks (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Block> {
    for await (const value of this.recordValues(chainId, from, to, signal)) yield decodeRecord(value)
  }

  protected override async * iterateRecords (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredRecord> {
    // records are consecutive (a prune keeps the header record), so heights are counted
    let height = from
    for await (const value of this.recordValues(chainId, from, to, signal)) yield { height: height++, ...wireRecord(value) }
  }

  protected async readPointer (chainId: string, key: string): Promise<Pointer | undefined> {
    const bytes = await this.db.get(this.keys.state(chainId, key))
    return bytes == null ? undefined : decodePointer(bytes)
  }

  protected async * iteratePointers (chainId: string): AsyncGenerator<[string, Pointer]> {
    const start = this.keys.chainPrefix(TYPE_STATE, chainId)
    for await (const [key, value] of this.db.iterator({ gt: start, lt: prefixEnd(start) })) {
      yield [this.keys.stateKeyOf(chainId, plain(key)), decodePointer(plain(value))]
    }
  }
}
