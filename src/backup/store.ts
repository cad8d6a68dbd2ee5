/**
 * The newest backup table this node has seen for each chain, persisted.
 * Tables arrive by gossip (a hint), by release and by redirect; whichever way,
 * only a verified, strictly newer epoch replaces what we hold.
 */
import type { BinarySublevel } from '../storage/database.ts'
import { verifyTable, isNewer } from './table.ts'
import type { VerifiedTable } from './table.ts'
import { bytesEqual } from '../chain/index.ts'

const utf8 = new TextEncoder()
/** classic-level honours `sync` (sublevels pass options to the root); abstract-level's types omit it. */
const SYNC_WRITE = { sync: true } as Record<string, unknown>

export class BackupTableStore {
  private readonly db: BinarySublevel
  private readonly cache = new Map<string, VerifiedTable>()
  /** Serializes adopt() so two tables racing for one chain cannot both win. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (db: BinarySublevel) {
    this.db = db
  }

  /** Loads every persisted table (they are few and small). */
  async open (): Promise<void> {
    for await (const [, value] of this.db.iterator()) {
      const verified = await verifyTable(value)
      this.cache.set(verified.table.chainId, verified)
    }
  }

  get (chainId: string): VerifiedTable | undefined {
    return this.cache.get(chainId)
  }

  all (): VerifiedTable[] {
    return [...this.cache.values()]
  }

  /**
   * Verifies a signed table and keeps it if its epoch is newer than ours.
   * Resolves to the table now held for that chain and whether it changed.
   *
   * @throws InvalidBackupTableError if the table is malformed or forged
   */
  async adopt (signed: Uint8Array, expectedChainId?: string): Promise<{ table: VerifiedTable, adopted: boolean }> {
    // the table we already hold, byte for byte (every answer of a holder carries it): nothing to verify
    const held = expectedChainId != null ? this.cache.get(expectedChainId) : undefined
    if (held != null && bytesEqual(held.signed, signed)) return { table: held, adopted: false }
    const verified = await verifyTable(signed, expectedChainId)
    const run = this.queue.then(async () => {
      const current = this.cache.get(verified.table.chainId)
      if (!isNewer(verified.table, current?.table)) return { table: current ?? verified, adopted: false }
      // sync: a table we adopted may be the only forward pointer to a released chain
      await this.db.put(utf8.encode(verified.table.chainId), verified.signed, SYNC_WRITE)
      this.cache.set(verified.table.chainId, verified)
      return { table: verified, adopted: true }
    })
    this.queue = run.catch(() => {})
    return await run
  }
}
