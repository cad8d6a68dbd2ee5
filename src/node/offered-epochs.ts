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

/**
 * A record is `epoch@seq`, seq the offer's place in the order they were
 * noted: LevelDB reads them back in key order, and a restart that took that
 * for their age dropped the newest offer first past the bound, taking away
 * what orders the release its owner still had on the way (a review,
 * 2026-12-03). One without `@seq` (written before the order was kept) counts
 * as the oldest.
 */
const SEQ = '@'

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

export class OfferedEpochs {
  private readonly db: BinarySublevel
  private readonly max: number
  private readonly epochs = new Map<string, number>()
  /** The place the next offer noted takes in the order. */
  private nextSeq = 0

  constructor (db: BinarySublevel, max = MAX_OFFERED) {
    this.db = db
    this.max = max
  }

  /** What an earlier run recorded, oldest first (entries that do not parse are skipped). */
  async load (): Promise<void> {
    this.epochs.clear()
    const records: Array<{ chainId: string, epoch: number, seq: number }> = []
    for await (const [key, value] of this.db.iterator()) {
      const [epochText, seqText] = utf8d.decode(value).split(SEQ)
      const epoch = Number(epochText)
      const seq = seqText == null ? -1 : Number(seqText)
      if (Number.isSafeInteger(epoch) && epoch > 0 && Number.isSafeInteger(seq)) records.push({ chainId: utf8d.decode(key), epoch, seq })
    }
    // a stable sort: records of the same place (older ones without it) stay in key order
    records.sort((a, b) => a.seq - b.seq)
    for (const { chainId, epoch } of records) setBounded(this.epochs, chainId, epoch, this.max)
    this.nextSeq = records.reduce((next, r) => Math.max(next, r.seq + 1), 0)
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
    await this.db.put(utf8.encode(chainId), utf8.encode(`${epoch}${SEQ}${this.nextSeq++}`))
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
