/**
 * The newest backup table this node has seen for each chain, persisted.
 * Tables arrive by gossip (a hint), by release and by redirect; whichever way,
 * only a verified, strictly newer epoch replaces what we hold.
 *
 * Two kinds of table, kept differently:
 * - **kept**: this node's own chain, a chain whose table named this node (as
 *   an active or an obsolete backup) at some epoch, and a chain whose owner
 *   released us. These are the copies we hold and the forward pointers
 *   readers are redirected with; once kept, a chain's table is kept for good.
 * - **hints**: every other chain's table, heard by gossip or seen on a read.
 *   A vehicle meets thousands of others over a week; past `maxHints`, the
 *   hint adopted longest ago is forgotten. Nothing depends on a hint: a
 *   reader without one asks its neighbours for the table (table-lookup).
 */
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

export interface BackupTableStoreInit {
  /** This node's peer id: its own chain's table, and tables that name it, are kept. */
  self?: string
  /** Chain ids whose table is kept whatever the cap, persisted (released from, named once). */
  kept?: BinarySublevel
  /** Hints held at most; the one adopted longest ago goes first. @default DEFAULT_MAX_HINT_TABLES */
  maxHints?: number
  /**
   * Whether this node holds a copy of the chain: a table that names it is
   * kept (and written with sync) only then. Any member can sign tables with
   * keys it makes up that name us; kept for good, they would pile up without
   * end. @default every chain counts as held
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
  private readonly self?: string
  private readonly holds: (chainId: string) => boolean
  private readonly maxHints: number
  private readonly cache = new Map<string, VerifiedTable>()
  private readonly kept = new Set<string>()
  /** Chain ids held as hints, the one adopted longest ago first. */
  private readonly hints = new Set<string>()
  /** Chain ids whose table in the cache was written without sync (a crash may take it back). */
  private readonly volatile = new Set<string>()
  /** Serializes adopt() so two tables racing for one chain cannot both win. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (db: BinarySublevel, init: BackupTableStoreInit = {}) {
    this.db = db
    this.keptDb = init.kept
    this.self = init.self
    this.holds = init.holds ?? (() => true)
    this.maxHints = Math.max(1, init.maxHints ?? DEFAULT_MAX_HINT_TABLES)
  }

  /**
   * Loads every persisted table; hints beyond the cap (a lower cap than the
   * last run's) are forgotten, and so is a table that no longer verifies: an
   * earlier version took one this one refuses (a chain id in a CID form), and
   * refusing to start over it kept the node from starting at all (a review).
   */
  async open (): Promise<void> {
    if (this.keptDb != null) {
      for await (const key of this.keptDb.keys()) this.kept.add(utf8d.decode(key))
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
      if (!this.keeps(verified)) this.hints.add(chainId)
    }
    if (refused.length > 0) await this.db.batch(refused.map(key => ({ type: 'del' as const, key })))
    await this.forgetOldHints()
  }

  get (chainId: string): VerifiedTable | undefined {
    return this.cache.get(chainId)
  }

  /** Whether the chain's table is kept for good (ours, one naming us with a copy, a forward pointer); a hint is not. */
  isKept (chainId: string): boolean {
    const held = this.cache.get(chainId)
    return this.kept.has(chainId) || (held != null && this.namesSelf(held))
  }

  all (): VerifiedTable[] {
    return [...this.cache.values()]
  }

  /** Tables held as hints now (for status and tests). */
  get hintCount (): number {
    return this.hints.size
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
    const run = this.queue.then(async () => {
      const chainId = verified.table.chainId
      const current = this.cache.get(chainId)
      if (options.keep === true || (isNewer(verified.table, current?.table) && this.keeps(verified))) await this.markKept(chainId)
      if (!isNewer(verified.table, current?.table)) {
        // what we hold came as a hint: the caller counts on it now
        if (durable && current != null && this.volatile.has(chainId)) await this.write(chainId, current.signed, true)
        return { table: current ?? verified, adopted: false, shown: verified }
      }
      // sync unless a hint about others: a table we adopted may be the only
      // forward pointer to a released chain, or what claims our copy
      await this.write(chainId, verified.signed, durable || this.namesSelf(verified))
      this.cache.set(chainId, verified)
      if (!this.kept.has(chainId)) {
        // newest adopted last: a chain whose epochs move stays
        this.hints.delete(chainId)
        this.hints.add(chainId)
        await this.forgetOldHints()
      }
      return { table: verified, adopted: true, shown: verified }
    })
    this.queue = run.catch(() => {})
    return await run
  }

  private async write (chainId: string, signed: Uint8Array, durable: boolean): Promise<void> {
    await this.db.put(utf8.encode(chainId), signed, durable ? SYNC_WRITE : {})
    if (durable) this.volatile.delete(chainId)
    else this.volatile.add(chainId)
  }

  private keeps (verified: VerifiedTable): boolean {
    return this.kept.has(verified.table.chainId) || this.namesSelf(verified)
  }

  /** Our own chain's table, or one naming us as an active or obsolete backup of a chain we hold. */
  private namesSelf (verified: VerifiedTable): boolean {
    const { chainId, active, obsolete } = verified.table
    if (this.self == null) return false
    return chainId === this.self || ((active.includes(this.self) || obsolete.includes(this.self)) && this.holds(chainId))
  }

  private async markKept (chainId: string): Promise<void> {
    this.hints.delete(chainId)
    if (this.kept.has(chainId)) return
    this.kept.add(chainId)
    // sync: once per chain ever; a release may adopt no newer table after it
    await this.keptDb?.put(utf8.encode(chainId), EMPTY, SYNC_WRITE)
  }

  private async forgetOldHints (): Promise<void> {
    while (this.hints.size > this.maxHints) {
      const oldest = this.hints.values().next().value as string
      this.hints.delete(oldest)
      this.cache.delete(oldest)
      this.volatile.delete(oldest)
      // not synced: a hint that comes back after a crash is forgotten again at open
      await this.db.del(utf8.encode(oldest))
    }
  }
}
