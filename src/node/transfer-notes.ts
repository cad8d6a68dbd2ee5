/**
 * Transfers of a chain to vehicles that held no copy we knew of, noted
 * durably before they start (sublevel `transfers-noted`): a copy a crash or a
 * stop cut short is then named obsolete (and released) by the next round
 * instead of being forgotten. A round short of k also notes here the partial
 * copies it leaves to resume (replication-round.ts).
 */
import type { BackupTable } from '../backup/index.ts'
import type { BinarySublevel } from '../storage/database.ts'
import { SYNC_WRITE } from '../storage/database.ts'
import { prefixEnd } from '../storage/keys.ts'

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

export class TransferNotes {
  private readonly db: BinarySublevel
  /** Notes a previous run left behind, per chain: transfers a crash interrupted. */
  private readonly noted = new Map<string, string[]>()
  /** Chains whose transfer notes may be on disk (loaded, or noted since): a round clears them, the others have none. */
  private readonly notesOnDisk = new Set<string>()

  constructor (db: BinarySublevel) {
    this.db = db
  }

  /** The notes an earlier run left. */
  async load (): Promise<void> {
    for await (const key of this.db.keys()) {
      const [chainId, peer] = utf8d.decode(key).split('\n')
      this.noted.set(chainId, [...(this.noted.get(chainId) ?? []), peer])
      this.notesOnDisk.add(chainId)
    }
  }

  /**
   * Before a transfer to a vehicle that holds no copy we know of, note it
   * durably: if we crash mid-transfer, the copy it may have stored is named
   * obsolete (and released) by our next round instead of being forgotten.
   */
  async note (chainId: string, peer: string, current: BackupTable | undefined): Promise<void> {
    // a vehicle with a release pending is noted too: that release may end STALE on this very offer (a newer epoch
    // it took), and a round cut meanwhile then left its copy unnamed for good (a review)
    if (current?.active.includes(peer) === true) return
    this.notesOnDisk.add(chainId)
    await this.db.put(utf8.encode(`${chainId}\n${peer}`), new Uint8Array(0), SYNC_WRITE)
  }

  /** Vehicles a transfer of this chain was noted for (a round that did not reach its table). */
  interrupted (chainId: string): string[] {
    return this.noted.get(chainId) ?? []
  }

  /** The round's table and releases are durable: its notes are no longer needed, but for the copies it left to resume (`keep`). */
  async recorded (chainId: string, keep: string[]): Promise<void> {
    this.noted.delete(chainId)
    // a LevelDB range delete per round otherwise, for the rounds that noted nothing (those to current backups)
    if (this.notesOnDisk.has(chainId)) {
      const prefix = utf8.encode(`${chainId}\n`)
      await this.db.clear({ gte: prefix, lt: prefixEnd(prefix) })
      this.notesOnDisk.delete(chainId)
    }
    if (keep.length === 0) return
    this.noted.set(chainId, [...keep])
    this.notesOnDisk.add(chainId)
    await this.db.batch(keep.map(peer => ({ type: 'put' as const, key: utf8.encode(`${chainId}\n${peer}`), value: new Uint8Array(0) })), SYNC_WRITE)
  }
}
