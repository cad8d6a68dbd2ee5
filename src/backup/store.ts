/**
 * The newest backup table this node has seen for each chain, persisted.
 * Tables arrive by gossip (a hint), by release and by redirect; whichever way,
 * only a verified, strictly newer epoch replaces what we hold.
 *
 * Three kinds of table, kept differently:
 * - **pinned**: this node's own chain and every chain it holds a copy of
 *   (active, or obsolete and not released yet). Never dropped: they say
 *   what our copies are and claim them.
 * - **forward pointers**: chains whose owner released us, or whose table
 *   named us while we held a copy, once the copy is gone. Readers are
 *   redirected with them. On an open network anyone can make up a key,
 *   push us a one-block chain and release it, so past `maxPointers` the one
 *   adopted or used longest ago is dropped.
 * - **hints**: every other chain's table, heard by gossip or seen on a read.
 *   A vehicle meets thousands of others over a week; past `maxHints`, the
 *   hint adopted longest ago is forgotten.
 *
 * Nothing depends on a dropped pointer or hint: a reader without one asks its
 * neighbours for the table (table-lookup), at the cost of a lookup. The order
 * of use is persisted with each table in the same batch, so a restart drops
 * the same tables this run would have, and a drop that a crash undoes is
 * done again at open.
 */
import type { AbstractBatchOperation } from 'abstract-level'
import type { BinarySublevel } from '../storage/database.ts'
import { verifyTable, isNewer } from './table.ts'
import type { VerifiedTable } from './table.ts'
import { bytesEqual } from '../chain/index.ts'
import { SYNC_WRITE } from '../storage/database.ts'

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()
const EMPTY = new Uint8Array(0)

/** Tables of other vehicles' chains kept as hints (about 0.3–1 KiB each with its signature). */
export const DEFAULT_MAX_HINT_TABLES = 1024

/**
 * Forward pointers kept. A node keeps one per chain it was a backup of, so a
 * real fleet needs one per vehicle at most: 4,096 is more vehicles than any
 * LAN's fleet, and costs 1–4 MiB on disk and in memory (a table names at
 * most 64 obsolete backups).
 */
export const DEFAULT_MAX_POINTER_TABLES = 4096

export interface BackupTableStoreInit {
  /** This node's peer id: its own chain's table, and tables that name it, are kept. */
  self?: string
  /** Chain ids whose table is a forward pointer once no copy pins it, persisted (released from, named once). */
  kept?: BinarySublevel
  /** Each table's place in the order of use, persisted (a restart drops what this run would have). @default the order in memory only */
  order?: BinarySublevel
  /** Hints held at most; the one adopted longest ago goes first. @default DEFAULT_MAX_HINT_TABLES */
  maxHints?: number
  /** Forward pointers held at most; the one adopted or used longest ago goes first. @default DEFAULT_MAX_POINTER_TABLES */
  maxPointers?: number
  /**
   * Whether this node holds a copy of the chain: its table is then never
   * dropped, and one that names this node becomes a forward pointer when the
   * copy goes (and is written with sync). Any member can sign tables with
   * keys it makes up that name us; as pointers, they would push real ones
   * out. @default a chain whose table names this node counts as held
   */
  holds?: (chainId: string) => boolean
}

export interface AdoptOptions {
  /** Keep this chain's table for good (a release from its owner: we hold its forward pointer). */
  keep?: boolean
  /**
   * Write the table with sync before resolving (the default): the caller acts
   * on it (signs the next epoch after it, deletes a copy because of it, counts
   * on it to claim a copy). A table heard by gossip or seen in a read's answer
   * passes false: every node hears every commit's table, and an fsync for each
   * would queue behind it the writes that matter (Paxos state, blocks). Lost in
   * a crash, it leaves the older table we held, which readers treat like any
   * table that is not the newest; a later durable adopt writes it with sync.
   * A table that names this node is written with sync whatever this says: it
   * is what claims our copy (else retention takes it for temporary).
   */
  durable?: boolean
}

export class BackupTableStore {
  private readonly db: BinarySublevel
  private readonly keptDb?: BinarySublevel
  private readonly orderDb?: BinarySublevel
  private readonly self?: string
  private readonly holds?: (chainId: string) => boolean
  private readonly maxHints: number
  private readonly maxPointers: number
  private readonly cache = new Map<string, VerifiedTable>()
  /** Chains whose table is a forward pointer once no copy pins it. */
  private readonly kept = new Set<string>()
  /** Each table's place in the order of use (persisted in orderDb). */
  private readonly lastUse = new Map<string, number>()
  private nextUse = 1
  /**
   * Forward pointers not pinned when filed, the one used longest ago first.
   * A copy taken since pins one without telling this store (any append
   * can): it stays here until trim() takes it out, and is not counted.
   */
  private readonly pointers = new Set<string>()
  /** Hints not pinned when filed, the one adopted longest ago first (pinned since: as for pointers). */
  private readonly hints = new Set<string>()
  /** Chain ids whose table in the cache was written without sync (a crash may take it back). */
  private readonly volatile = new Set<string>()
  /** Serializes writes so two tables racing for one chain cannot both win. */
  private queue: Promise<unknown> = Promise.resolve()
  /** How to take back what memory changed ahead of the batch being written, should it fail. */
  private undo: Array<() => void> = []

  constructor (db: BinarySublevel, init: BackupTableStoreInit = {}) {
    this.db = db
    this.keptDb = init.kept
    this.orderDb = init.order
    this.self = init.self
    this.holds = init.holds
    this.maxHints = Math.max(1, init.maxHints ?? DEFAULT_MAX_HINT_TABLES)
    this.maxPointers = Math.max(1, init.maxPointers ?? DEFAULT_MAX_POINTER_TABLES)
  }

  /**
   * Loads every persisted table; pointers and hints beyond their cap (a lower
   * cap than the last run's, or a drop a crash undid) are dropped, and so is
   * a table that no longer verifies: an earlier version took one this one
   * refuses (a chain id in a CID form), and refusing to start over it kept
   * the node from starting at all (a review).
   */
  async open (): Promise<void> {
    if (this.keptDb != null) {
      for await (const key of this.keptDb.keys()) this.kept.add(utf8d.decode(key))
    }
    if (this.orderDb != null) {
      for await (const [key, value] of this.orderDb.iterator()) {
        const use = decodeUse(value)
        this.lastUse.set(utf8d.decode(key), use)
        this.nextUse = Math.max(this.nextUse, use + 1)
      }
    }
    const refused: Uint8Array[] = []
    for await (const [key, value] of this.db.iterator()) {
      let verified: VerifiedTable
      try {
        verified = await verifyTable(value)
      } catch (err) {
        if ((err as Error).name !== 'InvalidBackupTableError') throw err
        refused.push(key)
        continue
      }
      const chainId = verified.table.chainId
      this.cache.set(chainId, verified)
    }
    if (refused.length > 0) await this.db.batch(refused.map(key => ({ type: 'del' as const, key })))
    // tables from before the order was kept count as used longest ago, in key order
    this.refile()
    // a marker or a place in the order without its table (a table cleared by hand) marks nothing
    const ops: BatchOp[] = []
    for (const [ids, to] of [[this.kept, 'kept'], [this.lastUse, 'order']] as const) {
      for (const id of ids.keys()) {
        if (this.cache.has(id)) continue
        ids.delete(id)
        ops.push({ type: 'del', to, key: utf8.encode(id) })
      }
    }
    // not synced: a drop a crash undoes is done again at the next open
    await this.write([...ops, ...this.trim()], false)
  }

  get (chainId: string): VerifiedTable | undefined {
    return this.cache.get(chainId)
  }

  /** Whether the chain's table is ours, names us with a copy, or is a forward pointer; a hint is not. */
  isKept (chainId: string): boolean {
    const held = this.cache.get(chainId)
    return (this.kept.has(chainId) && held != null) || (held != null && this.namesSelf(held))
  }

  all (): VerifiedTable[] {
    return [...this.cache.values()]
  }

  /** Tables held as hints now, a pinned one not counted (for the metric and tests). */
  get hintCount (): number {
    return this.unpinned(this.hints)
  }

  /** Tables held as forward pointers now, a pinned one not counted (for the metric and tests). */
  get pointerCount (): number {
    return this.unpinned(this.pointers)
  }

  /**
   * Verifies a signed table and keeps it if its epoch is newer than ours.
   * Resolves to the table now held for that chain, whether it changed, and
   * the table given, verified (older than the one held, perhaps).
   *
   * @throws InvalidBackupTableError if the table is malformed or forged
   */
  async adopt (signed: Uint8Array, expectedChainId?: string, options: AdoptOptions = {}): Promise<{ table: VerifiedTable, adopted: boolean, shown: VerifiedTable }> {
    const durable = options.durable !== false
    // the table we already hold, byte for byte (every answer of a holder carries it): nothing to verify
    const held = expectedChainId != null ? this.cache.get(expectedChainId) : undefined
    if (held != null && options.keep !== true && !(durable && this.volatile.has(expectedChainId as string)) && bytesEqual(held.signed, signed)) return { table: held, adopted: false, shown: held }
    return await this.adoptVerified(await verifyTable(signed, expectedChainId), options)
  }

  /**
   * adopt() of a table the caller verified already (verifyTable): gossip's
   * validator verifies a booth result's table before gossipsub relays it,
   * and verifying it again to keep it would double the cost of every table
   * heard.
   */
  async adoptVerified (verified: VerifiedTable, options: AdoptOptions = {}): Promise<{ table: VerifiedTable, adopted: boolean, shown: VerifiedTable }> {
    const durable = options.durable !== false
    return await this.serialized(async () => {
      const chainId = verified.table.chainId
      const current = this.cache.get(chainId)
      const newer = isNewer(verified.table, current?.table)
      const ops: BatchOp[] = []
      // sync: once per chain ever; a release may adopt no newer table after it
      const marked = (options.keep === true || (newer && this.keeps(verified))) && this.mark(chainId, ops)
      if (!newer) {
        // what we hold came as a hint: the caller counts on it now
        const rewrite = durable && current != null && this.volatile.has(chainId)
        if (rewrite) ops.push({ type: 'put', to: 'tables', key: utf8.encode(chainId), value: current.signed })
        // a release of the table held: used now
        if (current != null && marked) this.touch(chainId, ops)
        await this.write(ops, marked || rewrite)
        if (rewrite) this.volatile.delete(chainId)
        return { table: current ?? verified, adopted: false, shown: verified }
      }
      // sync unless a hint about others: a table we adopted may be the only
      // forward pointer to a released chain, or what claims our copy
      const sync = durable || marked || this.namesSelf(verified)
      ops.push({ type: 'put', to: 'tables', key: utf8.encode(chainId), value: verified.signed })
      this.cache.set(chainId, verified)
      this.undo.push(() => { if (current != null) this.cache.set(chainId, current); else this.cache.delete(chainId) })
      // newest adopted last: a chain whose epochs move stays
      this.touch(chainId, ops)
      ops.push(...this.trim())
      await this.write(ops, sync)
      if (sync) this.volatile.delete(chainId)
      else this.volatile.add(chainId)
      return { table: verified, adopted: true, shown: verified }
    })
  }

  /**
   * A reader was redirected with this chain's table: it moves to the back of
   * the order, persisted without sync (a crash only makes it look older).
   * Written only once it is in the older half of the order, so a reader
   * asking again and again costs no write.
   */
  async used (chainId: string): Promise<void> {
    await this.serialized(async () => {
      const use = this.lastUse.get(chainId)
      if (use == null || !this.cache.has(chainId)) return
      if (use > this.nextUse - Math.max(this.maxPointers, this.maxHints) / 2) return
      const ops: BatchOp[] = []
      this.touch(chainId, ops)
      await this.write(ops, false)
    })
  }

  /**
   * Files a chain's table again after this node's copy of it went (a
   * release deleted it): no longer pinned, it counts against its cap from
   * now on, last in the order as the newest (the copy kept it in use until
   * now). Written without sync: a crash only makes it look older, as in
   * used(). A restart files every table afresh.
   */
  async copyGone (chainId: string): Promise<void> {
    await this.serialized(async () => {
      if (!this.cache.has(chainId)) return
      const ops: BatchOp[] = []
      this.touch(chainId, ops)
      ops.push(...this.trim())
      await this.write(ops, false)
    })
  }

  private async serialized<T> (task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task)
    this.queue = run.catch(() => {})
    return await run
  }

  /**
   * Writes the ops in one batch: a table, its marker, its place in the order
   * and the drops it causes land together or not at all. Memory changed
   * ahead of it; if it fails, memory is taken back to what the disk holds.
   */
  private async write (ops: BatchOp[], sync: boolean): Promise<void> {
    const undo = this.undo
    this.undo = []
    try {
      await this.writeBatch(ops, sync)
    } catch (err) {
      for (const step of undo.reverse()) step()
      this.refile()
      throw err
    }
  }

  private async writeBatch (ops: BatchOp[], sync: boolean): Promise<void> {
    const batch: Array<{ type: 'put', key: Uint8Array, value: Uint8Array, sublevel?: BinarySublevel } | { type: 'del', key: Uint8Array, sublevel?: BinarySublevel }> = []
    for (const op of ops) {
      const sublevel = op.to === 'tables' ? undefined : op.to === 'kept' ? this.keptDb : this.orderDb
      if (op.to !== 'tables' && sublevel == null) continue
      batch.push(op.type === 'put' ? { type: 'put', key: op.key, value: op.value, sublevel } : { type: 'del', key: op.key, sublevel })
    }
    if (batch.length === 0) return
    // the markers and the order are siblings of the tables: abstract-level takes any
    // sublevel of the same root in a batch (its README), its types only descendants
    await this.db.batch(batch as unknown as TableBatch, sync ? SYNC_WRITE : {})
  }

  /** Marks the chain's table a forward pointer-to-be; true when the marker is new. */
  private mark (chainId: string, ops: BatchOp[]): boolean {
    if (this.kept.has(chainId)) return false
    this.kept.add(chainId)
    this.undo.push(() => { this.kept.delete(chainId) })
    ops.push({ type: 'put', to: 'kept', key: utf8.encode(chainId), value: EMPTY })
    return true
  }

  /** The chain's table was adopted or used now: last in the order, and filed. */
  private touch (chainId: string, ops: BatchOp[]): void {
    const use = this.nextUse++
    const before = this.lastUse.get(chainId)
    this.lastUse.set(chainId, use)
    this.undo.push(() => { if (before != null) this.lastUse.set(chainId, before); else this.lastUse.delete(chainId) })
    ops.push({ type: 'put', to: 'order', key: utf8.encode(chainId), value: encodeUse(use) })
    this.pointers.delete(chainId)
    this.hints.delete(chainId)
    this.file(chainId)
  }

  /** Files every table again in the order of use (after a failed write took memory back). */
  private refile (): void {
    this.pointers.clear()
    this.hints.clear()
    const ids = [...this.cache.keys()].sort((a, b) => (this.lastUse.get(a) ?? 0) - (this.lastUse.get(b) ?? 0))
    for (const chainId of ids) this.file(chainId)
  }

  /** Puts a chain's table, last, among the pointers or the hints, or in neither when pinned. */
  private file (chainId: string): void {
    if (this.pinned(chainId)) return
    if (this.kept.has(chainId)) this.pointers.add(chainId)
    else this.hints.add(chainId)
  }

  /**
   * Drops the pointers and hints used longest ago past their caps. Tables
   * pinned since they were filed leave their order first, wherever they sit
   * in it: counted until they reached its front, they had an unpinned table
   * dropped while fewer than the cap were held (a closing note). Only when
   * over the cap, so a table adopted below it costs no pass over the order.
   */
  private trim (): BatchOp[] {
    const ops: BatchOp[] = []
    for (const [order, max] of [[this.pointers, this.maxPointers], [this.hints, this.maxHints]] as const) {
      if (order.size <= max) continue
      for (const chainId of order) if (this.pinned(chainId)) order.delete(chainId)
      while (order.size > max) {
        const oldest = order.values().next().value as string
        order.delete(oldest)
        this.drop(oldest, ops)
      }
    }
    return ops
  }

  /** How many of the order's tables are not pinned now (a copy taken since one was filed pins it). */
  private unpinned (order: Set<string>): number {
    let count = 0
    for (const chainId of order) if (!this.pinned(chainId)) count++
    return count
  }

  private drop (chainId: string, ops: BatchOp[]): void {
    const [table, volatile, use, kept] = [this.cache.get(chainId), this.volatile.has(chainId), this.lastUse.get(chainId), this.kept.has(chainId)]
    this.undo.push(() => {
      if (table != null) this.cache.set(chainId, table)
      if (volatile) this.volatile.add(chainId)
      if (use != null) this.lastUse.set(chainId, use)
      if (kept) this.kept.add(chainId)
    })
    this.cache.delete(chainId)
    this.volatile.delete(chainId)
    this.lastUse.delete(chainId)
    this.kept.delete(chainId)
    const key = utf8.encode(chainId)
    ops.push({ type: 'del', to: 'tables', key }, { type: 'del', to: 'kept', key }, { type: 'del', to: 'order', key })
  }

  /** Never dropped: our own chain, and a chain we hold a copy of. (The shared chain has no table: a table's chain is its signer's.) */
  private pinned (chainId: string): boolean {
    if (chainId === this.self) return true
    if (this.holds != null) return this.holds(chainId)
    // told nothing of copies: a chain whose table names us is taken for held
    const table = this.cache.get(chainId)?.table
    return this.self != null && table != null && (table.active.includes(this.self) || table.obsolete.includes(this.self))
  }

  private keeps (verified: VerifiedTable): boolean {
    return this.kept.has(verified.table.chainId) || this.namesSelf(verified)
  }

  /** Our own chain's table, or one naming us as an active or obsolete backup of a chain we hold. */
  private namesSelf (verified: VerifiedTable): boolean {
    const { chainId, active, obsolete } = verified.table
    if (this.self == null) return false
    return chainId === this.self || ((active.includes(this.self) || obsolete.includes(this.self)) && (this.holds?.(chainId) ?? true))
  }
}

/** One write of a batch, to the tables, the markers or the order; one to a sublevel this store was not given is skipped. */
type BatchOp = { to: 'tables' | 'kept' | 'order', key: Uint8Array } & ({ type: 'put', value: Uint8Array } | { type: 'del' })

type TableBatch = Array<AbstractBatchOperation<BinarySublevel, Uint8Array, Uint8Array>>

function encodeUse (use: number): Uint8Array {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(use))
  return bytes
}

function decodeUse (bytes: Uint8Array): number {
  return bytes.byteLength === 8 ? Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0)) : 0
}
