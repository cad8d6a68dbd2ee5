/**
 * The chain store on the node's LevelDB, with the payloads of large blocks in
 * segment files beside it (segments.ts).
 *
 * LevelDB holds, per chain (keys.ts): block records (the header, and either
 * the payload inline or where its segment entry lies), the hash index, the
 * state pointers, the list of the chain's segments, pins and the meta.
 * Payloads of at least `inlineMax` bytes go to segments: LevelDB writes a
 * large value about four times and copies it on the calling thread, a segment
 * once. Small payloads stay inline, so a small commit costs one LevelDB write
 * and one flush, as before.
 *
 * Keys carry the `!chains!` sublevel prefix but are written through the root
 * database: the layout is exactly `db.sublevel('chains')`'s, without
 * abstract-level re-prefixing every operation of a batch (measured 1.6x slower
 * on 2,000-operation batches).
 *
 * Durability — where `sync: true` is used and why:
 * - Appends default to `sync: true`: a block that consensus or replication
 *   acknowledges as committed must survive a power cut, and LevelDB only
 *   promises that after the write-ahead log is fsynced. Without it a kill -9
 *   loses nothing (the log is written with write() before the batch resolves
 *   and the OS keeps it), but a machine crash can lose the last appends.
 *   Bulk callers pass sync once per batch of blocks, not per block.
 * - A segment entry is written beside the LevelDB batch that references it,
 *   not before (waiting for one before starting the other would add its whole
 *   latency to every large append). With `sync` both are flushed, the chain's
 *   segments written since their last flush too, before the append resolves;
 *   without it neither is. So a crash can leave a batch pointing at bytes that
 *   never reached the disk, but only for an append that was not acknowledged
 *   as durable: the meta's durable height says up to where every entry is
 *   known flushed, and open() checks the entries above it against their
 *   headers and cuts the chain before the first that fails (checkUnflushed,
 *   level-open.ts; the cut: recovery.ts). A crash also leaves bytes past the
 *   last referenced entry (or a segment no batch listed), which open() cuts
 *   off (recoverSegments, level-open.ts). No read reaches an
 *   entry still being written: block reads stop at the tip, and a key read
 *   that finds a pointer above it waits for that append (base.ts). A segment
 *   write that fails under a stored batch stops the store, and the append is
 *   taken back at once (takeBack), so such a read then finds the acknowledged
 *   pointer again.
 * - Every append is ONE atomic LevelDB batch: block records, hash index and
 *   state pointers together (with the segment's key when a segment starts, and
 *   the chain meta every META_EVERY blocks). After any crash the records on
 *   disk are a consistent prefix of the chain with its state; open() derives
 *   the tip from the last meta plus the records after it.
 * - Pins use sync: a pin is a user's promise to keep evidence.
 * - deleteChain first writes (with sync) a `deleting` mark on the meta, then
 *   clears the chain's ranges and its segments, then removes the meta; open()
 *   finishes a delete a crash interrupted, so a half-deleted chain never comes
 *   back. The mark says whether the pins go too: a copy replaced by a new one
 *   keeps them, through a crash as well.
 * - Prunes do not sync: losing one only keeps a payload a little longer, and
 *   the batch is still atomic. A segment whose blocks are all below the
 *   retention watermark, or that its pruned entries fill but for a quarter,
 *   is deleted: the payloads it still holds are first written inline
 *   (synced), then its key is removed, then the file.
 */
import { randomInt } from 'node:crypto'
import { join } from 'node:path'
import { ChainMeta as PbChainMeta } from './pb/store.ts'
import { BlockHeader } from '../chain/pb/chain.ts'
import type { Block } from '../chain/index.ts'
import type { BatchOp, NodeDatabase, BinaryLevel } from './database.ts'
import { AbstractChainStore } from './base.ts'
import type { AppendItem, ChainMeta, KeyRange, Pointer } from './base.ts'
import { ChainKeys, TYPE_STATE } from './keys.ts'
import {
  decodeHeight, decodePointer, encodeHeight, encodeRecord, entryPieces, entryRecord,
  locatedRecord, parseStored, payloadOffsetInEntry, storedBlock
} from './records.ts'
import type { Location, StoredForm } from './records.ts'
import { plain, storedBlockOfRecord, storedParts, varintBytes } from './level-bytes.ts'
import type { StoredAt } from './level-bytes.ts'
import { recordRuns, runRecords, storedForms } from './level-runs.ts'
import type { RunReader } from './level-runs.ts'
import { emptyLog, metaRecord } from './level-log.ts'
import type { ChainLog, Deleting } from './level-log.ts'
import { checkUnflushed, loadLog, recoverSegments, rollForward } from './level-open.ts'
import { putStatePointers, statePointers } from './level-state.ts'
import { Segments, isMissing } from './segments.ts'
import { FileHolds } from './file-holds.ts'
import { dropDeadSegments } from './dead-segments.ts'
import type { DeadSegmentsContext } from './dead-segments.ts'
import { asDiskFull } from './errors.ts'
import { cutTail } from './recovery.ts'
import type { TailContext } from './recovery.ts'
import type { PinChange } from './pins.ts'
import type { Pin, RangeOptions, RecordRun, RunOptions, StoredHeader, StoredRecord } from './index.ts'

/** The sublevel name whose prefix our keys carry. */
export const CHAINS_SUBLEVEL = 'chains'

/** Where payload segments live, in the node's data dir. */
export const SEGMENTS_DIR = 'segments'

/**
 * The chain meta (tip and byte counters) is written with a chain's first block
 * and then every META_EVERY blocks, not with every append: for small blocks
 * one more operation per batch measured ~15-25% of the append cost. open()
 * rolls the meta forward over the block records written after it.
 */
export const META_EVERY = 64

/**
 * Payloads of at least this many bytes may go to a segment; smaller ones are
 * always inline (a commit of a few GPS fixes stays one LevelDB write).
 */
export const INLINE_MAX_BYTES = 64 * 1024

/**
 * ...and do, when an append carries at least this many bytes of them. A
 * segment costs a fixed extra: a thread-pool round trip, and for a synced
 * append a second flush beside LevelDB's. Measured: one synced 100 KiB block
 * appended at 0.63-0.69x of a raw LevelDB batch through a segment, 0.8-0.9x
 * inline; a 1 MiB block 0.9-1.1x through a segment; bulk appends of several
 * MiB (sync, replication) gain most.
 */
export const SEGMENT_MIN_BYTES = 256 * 1024

/**
 * Unflushed bytes a chain's segment may gather before a flush is started in
 * the background. It promises nothing (durableHeight moves only with a synced
 * append or flush()), but the disk writes them back while the transfer goes
 * on, so the flush that does promise finds little left: a 64 MiB sync ended
 * on one ~100 ms flush of everything.
 */
const WRITEBACK_BYTES = 8 * 1024 * 1024

/** A chain's segment is closed (the next append starts a new one) past this size. */
export const SEGMENT_BYTES = 64 * 1024 * 1024

export interface LevelChainStoreOptions {
  /** Payloads of at least this many bytes may go to segment files. @default 64 KiB */
  inlineMax?: number
  /** They do when one append carries at least this many bytes of them. @default 256 KiB */
  segmentMin?: number
  /** A segment is closed past this many bytes. @default 64 MiB */
  segmentBytes?: number
}

const EMPTY = new Uint8Array(0)

export class LevelChainStore extends AbstractChainStore {
  private readonly db: BinaryLevel
  private readonly keys: ChainKeys
  /** The records the functions beside this class read (level-open.ts, level-runs.ts, level-state.ts). */
  private readonly source: { db: BinaryLevel, keys: ChainKeys }
  private readonly segments: Segments
  private readonly inlineMax: number
  private readonly segmentMin: number
  private readonly segmentBytes: number
  /** Height of the meta on disk, per chain (it may lag the tip by < META_EVERY blocks). */
  private readonly persistedHeight = new Map<string, number>()
  private readonly logs = new Map<string, ChainLog>()
  /** Reads under way per chain directory: a dead segment's file outlives them (see dropDeadSegments). */
  private readonly holds: FileHolds
  /** What reading record runs needs of this store (level-runs.ts). */
  private readonly runReader: RunReader = {
    forms: (chainId, from, to, signal) => this.forms(chainId, from, to, signal),
    readEntry: (chainId, at, into, offset) => this.readEntry(chainId, at, into, offset),
    holdFiles: (chainId) => this.holdFiles(chainId),
    releaseFiles: (fileId) => this.holds.release(fileId)
  }

  private constructor (database: NodeDatabase, options: LevelChainStoreOptions) {
    super()
    this.db = database.db
    this.keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    this.source = { db: this.db, keys: this.keys }
    this.segments = new Segments(join(database.dataDir, SEGMENTS_DIR))
    this.holds = new FileHolds(this.segments)
    this.inlineMax = options.inlineMax ?? INLINE_MAX_BYTES
    this.segmentMin = options.segmentMin ?? SEGMENT_MIN_BYTES
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES
  }

  /**
   * Opens the store on an open database: loads chain metas and pins, finishes
   * interrupted deletes, and cuts off segment bytes no record references.
   */
  static async open (database: NodeDatabase, options: LevelChainStoreOptions = {}): Promise<LevelChainStore> {
    const store = new LevelChainStore(database, options)
    await store.load()
    return store
  }

  // ---- open --------------------------------------------------------------

  private async load (): Promise<void> {
    await this.segments.init()
    const unfinished: Array<{ chainId: string, fileId: number, keepPins: boolean }> = []
    // each chain's log and meta as on disk, repaired where a crash left them (level-open.ts)
    for await (const value of this.db.values(this.keys.metaRange())) {
      const pb = PbChainMeta.decode(plain(value))
      if (pb.deleting) {
        unfinished.push({ chainId: pb.chainId, fileId: pb.fileId, keepPins: pb.deletingKeepsPins })
        continue
      }
      const { deleting: _, deletingKeepsPins: __, fileId, logSegment, logEnd, durableHeight, ...meta } = pb
      this.persistedHeight.set(meta.chainId, meta.height)
      const log = await loadLog(this.source, meta.chainId, fileId, logSegment, logEnd, durableHeight)
      let rolled = await rollForward(this.source, { ...meta, pruneFrom: Math.max(1, meta.pruneFrom) }, log)
      if (log.fileId !== 0) rolled = await checkUnflushed(this.tailContext(log), rolled, log, (chainId, height) => this.persistedHeight.set(chainId, height))
      this.metas.set(meta.chainId, rolled)
      if (log.fileId !== 0) this.logs.set(meta.chainId, log)
    }
    for (const { chainId, fileId, keepPins } of unfinished) {
      this.logs.set(chainId, emptyLog(fileId))
      await this.commitDelete(chainId, keepPins)
    }
    for await (const key of this.db.keys(this.keys.pinsRange())) {
      const parsed = this.keys.parsePin(plain(key))
      if (parsed == null) continue
      this.pinSets.set(parsed.chainId, [...(this.pinSets.get(parsed.chainId) ?? []), parsed.pin])
    }
    await recoverSegments(this.segments, this.logs.values())
    for (const chainId of this.logs.keys()) await this.dropDeadSegments(chainId)
  }

  private tailContext (log: ChainLog): TailContext {
    return {
      db: this.db,
      keys: this.keys,
      segments: this.segments,
      forms: (chainId, from, to) => this.forms(chainId, from, to),
      pointers: (chainId) => statePointers(this.source, chainId),
      encodeMeta: (meta) => metaRecord(meta, log)
    }
  }

  /**
   * A directory number no chain of this store uses. Random rather than
   * counted: a number is never handed out again after its chain is deleted,
   * so a read still in flight on a released copy can never land in the files
   * of a chain taken later.
   */
  private async newFileId (): Promise<number> {
    const used = new Set([...this.logs.values()].map(l => l.fileId))
    const onDisk = new Set(await this.segments.fileIds())
    while (true) {
      const id = randomInt(1, 2 ** 47)
      if (!used.has(id) && !onDisk.has(id)) return id
    }
  }

  /** The chain's meta record, with its log as it stands (level-log.ts). */
  private toPb (meta: ChainMeta, deleting?: Deleting): Uint8Array {
    return metaRecord(meta, this.logs.get(meta.chainId), deleting)
  }

  /** Saves what a clean close leaves (saveOnClose), then closes the segment files whatever happened. */
  override async close (): Promise<void> {
    await super.close()
    try {
      await this.saveOnClose()
    } catch (err) {
      // what it could not write, the next open rolls forward from the block records
      throw asDiskFull(err as Error)
    } finally {
      await this.segments.close()
    }
  }

  /** Writes the metas that lag their tips, so the next open need not roll forward. */
  private async saveOnClose (): Promise<void> {
    if (this.db.status === 'open') {
      // a clean close leaves nothing for the next open to check, also where nothing was
      // unflushed but the meta on disk still names an older durable height
      for (const [chainId, log] of this.logs) {
        const height = this.metas.get(chainId)?.height ?? log.durable
        if (log.dirty.length === 0 && log.durable >= height) continue
        for (const segment of log.dirty) await this.segments.sync(log.fileId, segment)
        this.logs.set(chainId, { ...log, dirty: [], durable: height })
        this.persistedHeight.delete(chainId)
      }
      const batch = this.db.batch()
      let dirty = 0
      for (const meta of this.metas.values()) {
        if (this.persistedHeight.get(meta.chainId) === meta.height) continue
        batch.put(this.keys.meta(meta.chainId), this.toPb(meta))
        this.persistedHeight.set(meta.chainId, meta.height)
        dirty++
      }
      if (dirty > 0) await batch.write()
      else await batch.close()
    }
  }

  // ---- writes ------------------------------------------------------------

  /**
   * The chain's log ready to take entries of blocks from `firstHeight` on: a
   * directory the first time, a new segment when the last one is full. The
   * new segment is listed in LevelDB by the caller's batch.
   */
  private async logFor (chainId: string, firstHeight: number): Promise<{ before: ChainLog, log: ChainLog, started: boolean }> {
    let before = this.logs.get(chainId)
    if (before == null) {
      // every payload so far is inline: none can be unflushed (a review found open() re-reading them all)
      before = emptyLog(await this.newFileId(), this.metas.get(chainId)?.height ?? 0)
      await this.segments.createChain(before.fileId)
      // kept even if this append fails: an empty directory of ours, not a stray
      this.logs.set(chainId, before)
    }
    if (before.writeSegment !== 0 && before.writeEnd < this.segmentBytes) return { before, log: before, started: false }
    await this.segments.createSegment(before.fileId, firstHeight)
    return { before, log: { ...before, segments: [...before.segments, firstHeight], writeSegment: firstHeight, writeEnd: 0 }, started: true }
  }

  /** Where the entries of these blocks go in the chain's segment, and the write that puts them there (not flushed). */
  private async planEntries (chainId: string, blocks: Block[]): Promise<{ before: ChainLog, log: ChainLog, started: boolean, locations: Location[], write: () => Promise<void> }> {
    const { before, log, started } = await this.logFor(chainId, blocks[0].header.height)
    const buffers: Uint8Array[] = []
    const locations: Location[] = []
    let offset = log.writeEnd
    for (const block of blocks) {
      const { head, payload, length } = entryPieces(block.headerBytes, block.payload ?? EMPTY)
      buffers.push(head, payload)
      locations.push({ fileId: log.fileId, segment: log.writeSegment, offset, length })
      offset += length
    }
    const dirty = log.dirty.includes(log.writeSegment) ? log.dirty : [...log.dirty, log.writeSegment]
    const write = async (): Promise<void> => { await this.segments.write(log.fileId, log.writeSegment, log.writeEnd, buffers) }
    return { before, log: { ...log, writeEnd: offset, dirty, unflushed: log.unflushed + offset - log.writeEnd }, started, locations, write }
  }

  protected async commitAppend (items: AppendItem[], meta: ChainMeta, sync: boolean): Promise<void> {
    const { chainId } = meta
    let large = items.filter(i => (i.block.payload?.byteLength ?? 0) >= this.inlineMax).map(i => i.block)
    if (large.reduce((n, b) => n + (b.payload?.byteLength ?? 0), 0) < this.segmentMin) large = []
    const written = large.length > 0 ? await this.planEntries(chainId, large) : undefined
    const locations = new Map<Block, Location>()
    large.forEach((block, i) => { if (written != null) locations.set(block, written.locations[i]) })

    // a chained batch: measured ~1.4x cheaper per operation than an array batch
    const batch = this.db.batch()
    if (written?.started === true) batch.put(this.keys.segment(chainId, written.log.writeSegment), varintBytes(written.log.fileId))
    const statePrefix = this.keys.chainPrefix(TYPE_STATE, chainId)
    for (const { block, entries } of items) {
      const height = block.header.height
      const location = locations.get(block)
      batch.put(this.keys.block(chainId, height), location != null ? locatedRecord(block.headerBytes, location) : encodeRecord(block))
      batch.put(this.keys.hash(chainId, block.hash), encodeHeight(height))
      putStatePointers(batch, statePrefix, height, block.payload ?? EMPTY, entries)
    }
    const persisted = this.persistedHeight.get(chainId)
    const writeMeta = persisted == null || meta.height - persisted >= META_EVERY
    if (written != null) this.logs.set(chainId, written.log)
    const log = this.logs.get(chainId)
    // A synced append makes what this chain wrote to its segments durable too.
    // The segment write (and its flush) runs beside the LevelDB batch: a crash
    // between them leaves a batch pointing at bytes that are not there, which
    // open() finds and cuts off (checkUnflushed), and that append was never
    // acknowledged. Both are waited for, even when one fails: the next append
    // must not write where this one is still writing.
    const flushing = sync && log != null ? log.dirty : []
    const segmentWork = async (): Promise<void> => {
      await written?.write()
      for (const segment of flushing) await this.segments.sync(log?.fileId ?? 0, segment)
    }
    // no segment of the chain holds unflushed bytes (this append wrote none): every payload up to
    // here is durable, which the meta says whenever it is written, or the next open checks them all
    const clean = log != null && log.dirty.length === 0
    if (writeMeta) batch.put(this.keys.meta(chainId), clean ? metaRecord(meta, { ...log, durable: meta.height }) : this.toPb(meta))
    const [indexed, stored] = await Promise.allSettled([batch.write({ sync }), segmentWork()])
    if (indexed.status === 'rejected' || stored.status === 'rejected') {
      // nothing references the entries just written: the next append writes over them
      if (written != null) this.logs.set(chainId, written.before)
      const err = (indexed.status === 'rejected' ? indexed.reason : (stored as PromiseRejectedResult).reason) as Error
      if (indexed.status === 'fulfilled') {
        // the batch is in LevelDB but its payloads may not be in their segment: only open() may go on from here
        this.stop(err)
        if (log != null) await this.takeBack(items[0].block.header.height, meta, written ?? { before: log, log })
      }
      throw err
    }
    if (writeMeta) this.persistedHeight.set(chainId, meta.height)
    if (flushing.length === 0 && log != null && log.unflushed >= WRITEBACK_BYTES) {
      this.logs.set(chainId, { ...log, unflushed: 0 })
      // writeback in the background (see WRITEBACK_BYTES); a failure shows in the flush that counts
      this.segments.sync(log.fileId, log.writeSegment).catch(() => {})
    }
    // only once the append is in: heights a failed one named may yet be appended unflushed
    const current = this.logs.get(chainId)
    if (clean && current != null) this.logs.set(chainId, { ...current, durable: meta.height })
    if (flushing.length > 0 && log != null) {
      this.logs.set(chainId, { ...log, durable: meta.height, dirty: [], unflushed: 0 })
      // tell the next open it need not check these payloads (losing this write only costs that check)
      await this.db.put(this.keys.meta(chainId), this.toPb(meta))
      this.persistedHeight.set(chainId, meta.height)
    }
  }

  /**
   * Takes back an append whose batch went in but whose segment write or
   * flush failed (a full disk, say), as open() would cut it (cutTail), at once: its
   * records, hash index and segment key go, its state pointers get back
   * the acknowledged values. Until then the pointers named payloads that are
   * not there, and every key the failed block wrote read as a stopped store
   * until a restart, though docs/storage.md promises what was acknowledged
   * stays readable on a full disk (a review). If this cannot be written
   * either, the store stays as it was: stopped, reads above the tip refused.
   */
  private async takeBack (cut: number, meta: ChainMeta, written: { before: ChainLog, log: ChainLog }): Promise<void> {
    const { chainId } = meta
    const { before } = written
    // the log as the batch listed it, moved back to where the failed entries began
    const listed = { segments: [...written.log.segments], writeSegment: written.log.writeSegment, writeEnd: written.log.writeEnd }
    const at: Location = { fileId: before.fileId, segment: before.writeSegment, offset: before.writeEnd, length: 0 }
    try {
      const back = await cutTail(this.tailContext(before), meta, listed, cut, at)
      this.persistedHeight.set(chainId, back.height)
      if (back.height === 0) {
        // the chain's first append: no chain is left, as if it had never been asked for
        await this.db.del(this.keys.meta(chainId))
        this.persistedHeight.delete(chainId)
      }
    } catch {
      return
    }
    // a segment the failed append started holds nothing referenced (best effort: open() deletes it too)
    for (const segment of written.log.segments) {
      if (!before.segments.includes(segment)) await this.segments.remove(before.fileId, segment).catch(() => {})
    }
  }

  protected override async commitFlush (chainId: string): Promise<void> {
    const meta = this.metas.get(chainId)
    if (meta == null) return
    const log = this.logs.get(chainId)
    for (const segment of log?.dirty ?? []) await this.segments.sync(log?.fileId ?? 0, segment)
    if (log != null) this.logs.set(chainId, { ...log, durable: meta.height, dirty: [] })
    // a synced LevelDB write flushes its log: the chain's unsynced batches are durable with it
    await this.db.put(this.keys.meta(chainId), this.toPb(meta), { sync: true })
    this.persistedHeight.set(chainId, meta.height)
  }

  protected async commitPrune (headers: Block[], meta: ChainMeta): Promise<void> {
    const ops: BatchOp[] = []
    const log = this.logs.get(meta.chainId)
    const dead: Location[] = []
    for (const h of headers) {
      const key = this.keys.block(meta.chainId, h.header.height)
      const stored = await this.db.get(key)
      const location = stored == null ? undefined : parseStored(plain(stored)).location
      if (location != null) dead.push(location)
      // a located record keeps its location (open() reads where segments end from it)
      ops.push({ type: 'put', key, value: location != null ? locatedRecord(h.headerBytes, location, true) : encodeRecord(h) })
    }
    ops.push({ type: 'put', key: this.keys.meta(meta.chainId), value: this.toPb(meta) })
    await this.db.batch(ops, { sync: false })
    this.persistedHeight.set(meta.chainId, meta.height)
    this.metas.set(meta.chainId, meta)
    // a segment's count of pruned bytes starts when it is first weighed (mostlyPruned, dead-segments.ts): these are in it then
    for (const at of dead) {
      const counted = log?.fileId === at.fileId ? log.dead.get(at.segment) : undefined
      if (log != null && counted != null) log.dead.set(at.segment, counted + at.length)
    }
    await this.dropDeadSegments(meta.chainId)
  }

  /** Deletes the chain's dead segments (dead-segments.ts). */
  private async dropDeadSegments (chainId: string): Promise<void> {
    const context: DeadSegmentsContext = { db: this.db, keys: this.keys, segments: this.segments, holds: this.holds, forms: (id, from, to) => this.forms(id, from, to) }
    await dropDeadSegments(context, chainId, this.logs.get(chainId), this.metas.get(chainId))
  }

  protected async commitDelete (chainId: string, keepPins: boolean): Promise<void> {
    const meta = this.metas.get(chainId)
    if (meta != null) await this.db.put(this.keys.meta(chainId), this.toPb(meta, { keepPins }), { sync: true })
    for (const range of this.keys.chainRanges(chainId, { keepPins })) await this.db.clear(range)
    const log = this.logs.get(chainId)
    if (log != null) await this.segments.removeChain(log.fileId)
    this.logs.delete(chainId)
    await this.db.del(this.keys.meta(chainId))
    this.persistedHeight.delete(chainId)
  }

  protected async commitPins (chainId: string, change: PinChange, meta?: ChainMeta): Promise<void> {
    const key = (pin: Pin): Uint8Array => pin.type === 'key' ? this.keys.pinKey(chainId, pin.key) : this.keys.pinRange(chainId, pin.from, pin.to)
    // deletes first: a batch applies in order, and a pin both removed and added stays
    const ops: BatchOp[] = [
      ...change.remove.map((pin): BatchOp => ({ type: 'del', key: key(pin) })),
      ...change.add.map((pin): BatchOp => ({ type: 'put', key: key(pin), value: EMPTY }))
    ]
    if (meta != null) ops.push({ type: 'put', key: this.keys.meta(chainId), value: this.toPb(meta) })
    await this.db.batch(ops, { sync: true })
    if (meta != null) this.persistedHeight.set(chainId, meta.height)
  }

  // ---- reads -------------------------------------------------------------

  /** Runs a read of a chain's records and entries: no segment file of the chain is deleted under it. */
  private async holdingFiles<T> (chainId: string, read: () => Promise<T>): Promise<T> {
    const fileId = this.holdFiles(chainId)
    try {
      return await read()
    } finally {
      await this.holds.release(fileId)
    }
  }

  /** Holds the chain's segment files for a read (FileHolds); returns what to release. */
  private holdFiles (chainId: string): number | undefined {
    return this.holds.hold(this.logs.get(chainId)?.fileId)
  }

  /** A segment entry, or undefined if its chain was deleted meanwhile (its files are gone). */
  private async readEntry (chainId: string, at: Location, into?: Uint8Array, offset?: number): Promise<Uint8Array | undefined> {
    try {
      return await this.segments.read(at.fileId, at.segment, at.offset, at.length, into, offset)
    } catch (err) {
      if (isMissing(err) && this.logs.get(chainId)?.fileId !== at.fileId) return undefined
      throw err
    }
  }

  /** The block a stored form makes, reading a located payload from its segment. */
  private async blockOf (chainId: string, form: StoredForm): Promise<Block | undefined> {
    if (form.pruned) return storedBlock(form.headerBytes)
    if (form.location == null) return storedBlock(form.headerBytes, form.payload)
    const entry = await this.readEntry(chainId, form.location)
    if (entry == null) return undefined
    const { payload } = storedParts(entryRecord(entry))
    return storedBlock(form.headerBytes, payload)
  }

  protected async readBlock (chainId: string, height: number): Promise<Block | undefined> {
    return await this.holdingFiles(chainId, async () => {
      const bytes = await this.db.get(this.keys.block(chainId, height))
      return bytes == null ? undefined : await this.blockOf(chainId, parseStored(plain(bytes)))
    })
  }

  protected override async readHeader (chainId: string, height: number): Promise<StoredHeader | undefined> {
    const bytes = await this.db.get(this.keys.block(chainId, height))
    if (bytes == null) return undefined
    const form = parseStored(plain(bytes))
    return { block: storedBlock(form.headerBytes), pruned: form.pruned }
  }

  protected async readHeightByHash (chainId: string, hash: Uint8Array): Promise<number | undefined> {
    const bytes = await this.db.get(this.keys.hash(chainId, hash))
    return bytes == null ? undefined : decodeHeight(bytes)
  }

  /** Reads only the value's bytes of a located payload. */
  protected override async valueAt (chainId: string, pointer: Pointer): Promise<Uint8Array | undefined> {
    return await this.holdingFiles(chainId, async () => await this.valueIn(chainId, pointer))
  }

  private async valueIn (chainId: string, pointer: Pointer): Promise<Uint8Array | undefined> {
    const bytes = await this.db.get(this.keys.block(chainId, pointer.height))
    if (bytes == null) return undefined
    const form = parseStored(plain(bytes))
    if (form.pruned) return undefined
    if (form.location == null) return form.payload?.slice(pointer.valueOffset, pointer.valueOffset + pointer.valueLength)
    const header = BlockHeader.decode(form.headerBytes)
    const start = form.location.offset + payloadOffsetInEntry(form.headerBytes.byteLength, header.payloadBytes) + pointer.valueOffset
    const at = { ...form.location, offset: start, length: pointer.valueLength }
    if (at.length === 0) return new Uint8Array(0)
    return await this.readEntry(chainId, at)
  }

  /** The block records of heights from..to (storedForms, level-runs.ts). */
  private forms (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredAt> {
    return storedForms(this.source, chainId, from, to, signal)
  }

  protected override async * iterateRuns (chainId: string, from: number, to: number, options: RunOptions): AsyncGenerator<RecordRun> {
    yield * recordRuns(this.runReader, chainId, from, to, options)
  }

  protected async * iterateBlocks (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Block> {
    for await (const record of this.iterateRecords(chainId, from, to, signal)) yield storedBlockOfRecord(record.record, record.pruned)
  }

  protected override iterateRecords (chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredRecord> {
    return runRecords(this.runReader, chainId, from, to, signal)
  }

  override async * headers (chainId: string, options: RangeOptions = {}): AsyncGenerator<StoredHeader> {
    const range = this.range(chainId, options)
    if (range == null) return
    try {
      for await (const { form } of this.forms(chainId, range[0], range[1], options.signal)) {
        yield { block: storedBlock(form.headerBytes), pruned: form.pruned }
      }
    } catch (err) {
      throw this.readFailed(err)
    }
  }

  protected async readPointer (chainId: string, key: string): Promise<Pointer | undefined> {
    const bytes = await this.db.get(this.keys.state(chainId, key))
    if (bytes == null) return undefined
    return decodePointer(bytes)
  }

  protected async * iteratePointers (chainId: string, range: KeyRange = {}): AsyncGenerator<[string, Pointer]> {
    yield * statePointers(this.source, chainId, range)
  }
}
