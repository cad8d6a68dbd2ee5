/**
 * A backup's record of the newest epoch each chain's owner had a transfer to
 * this node accepted for, in memory and on disk (sublevel `offered-epochs`).
 *
 * It orders releases after a re-selection: a backup restarted after a
 * transfer's DONE, before the table naming it active reached it, would else
 * let the owner's older pending release delete the copy the owner counts
 * on, and take that copy for temporary (VGuardDB.copyStanding).
 */
import type { BinarySublevel } from '../storage/database.ts'
import { setBounded } from './bounded.ts'

/** Owners whose newest offered epoch a backup remembers (one entry per owner that ever offered; the oldest goes first). */
export const MAX_OFFERED = 4_096

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

export class OfferedEpochs {
  private readonly db: BinarySublevel
  private readonly max: number
  private readonly epochs = new Map<string, number>()

  constructor (db: BinarySublevel, max = MAX_OFFERED) {
    this.db = db
    this.max = max
  }

  /** What an earlier run recorded (entries that do not parse are skipped). */
  async load (): Promise<void> {
    this.epochs.clear()
    for await (const [key, value] of this.db.iterator()) {
      const epoch = Number(utf8d.decode(value))
      if (Number.isSafeInteger(epoch) && epoch > 0) setBounded(this.epochs, utf8d.decode(key), epoch, this.max)
    }
  }

  /** The newest epoch offered for the chain (0: none). */
  get (chainId: string): number {
    return this.epochs.get(chainId) ?? 0
  }

  /**
   * Records an accepted offer of the chain for this epoch (an older one
   * changes nothing). Written without sync: the transfer's DONE is answered
   * only after the store's flush, a synced write of the same LevelDB, which
   * makes this one durable with it (an fsync of its own would cost one per
   * transfer).
   */
  async note (chainId: string, epoch: number): Promise<void> {
    const held = this.epochs.get(chainId)
    if (held != null && held >= epoch) return
    // the map drops its oldest entry beyond the bound: so does the disk
    const evicted = held == null && this.epochs.size >= this.max ? this.epochs.keys().next().value : undefined
    setBounded(this.epochs, chainId, epoch, this.max)
    if (evicted != null) await this.db.del(utf8.encode(evicted))
    await this.db.put(utf8.encode(chainId), utf8.encode(String(epoch)))
  }

  /**
   * A release at or after the offered epoch was carried out: the table it
   * left is durable (adopted with sync) and orders later releases itself,
   * so the record may go without sync (one left by a crash is older than
   * that table, and orders nothing). The caller awaits it inside the
   * release's exclusive section: an offer accepted right after writes the
   * same key, and classic-level may apply two writes in flight in either
   * order (a review).
   */
  async forget (chainId: string): Promise<void> {
    this.epochs.delete(chainId)
    await this.db.del(utf8.encode(chainId))
  }
}
