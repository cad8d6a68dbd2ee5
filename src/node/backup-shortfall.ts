/**
 * Our own chain's last round fell short of k fresh backups (a candidate
 * down, out of room, or too few in its booth), or a backup it made has been
 * gone since for longer than a vehicle that left is remembered. The next
 * commit's round would make up for it, but a vehicle that stops writing kept
 * its chain on fewer than k up-to-date copies for as long as it stayed idle,
 * while the vehicle that had been down came back or a new one arrived. This keeps
 * what a round without a write needs to know: whom the last round left
 * fresh, and which members failed lately, so that such a round runs only
 * when some connected member could do better (each round signs a new epoch
 * and gossips it: rounds tried again and again with the same candidates
 * would churn tables for nothing). A restarted vehicle starts from the
 * newest table it signed (assumeFromTable) until a round of its own says more.
 */

/**
 * A member whose transfer failed is not counted on again for this long,
 * unless it reconnects first; each failure after that doubles the pause, up
 * to MAX_FAILED_CANDIDATE_PAUSE_MS (a member that fails every time, its disk
 * broken, say, would otherwise cost a round, an epoch and a release every few
 * minutes for as long as the vehicle stays idle).
 */
export const FAILED_CANDIDATE_PAUSE_MS = 2 * 60_000
export const MAX_FAILED_CANDIDATE_PAUSE_MS = 60 * 60_000

export interface RoundSummary {
  complete: boolean
  /** The backups it brought up to its tip. */
  transfers: ReadonlyArray<{ peerId: string }>
  failures: ReadonlyArray<{ peerId: string }>
}

/** What a round without a write goes by, as /status shows it (times in ms from now). */
export interface ShortfallView {
  short: boolean
  fresh: string[]
  /** Members whose transfer failed lately, and in how long each is counted on again (sooner if it reconnects). */
  paused: Array<{ peerId: string, retryInMs: number }>
}

export class BackupShortfall {
  /** Backups the last round of this run brought up to its tip, less those gone since. */
  private readonly fresh = new Set<string>()
  private isShort = false
  /** What `fresh` holds came from the table a previous run signed (assumeFromTable), not from a round of this run. */
  private fromTable = false
  /** A round of this run was noted: the table of a previous run says nothing more. */
  private roundNoted = false
  /** Members whose transfer failed: when (monotonic ms), and for how long they are not counted on. */
  private readonly failed = new Map<string, { at: number, pause: number }>()

  constructor (private readonly now: () => number = () => performance.now()) {}

  /** The chain is held by fewer than k fresh backups, as far as this run knows. */
  get short (): boolean {
    return this.isShort
  }

  /** The shortfall was carried over from the previous run (its table), not found by a round of this one. */
  get carriedOver (): boolean {
    return this.isShort && this.fromTable
  }

  /**
   * Before any round of this run: the backups the newest table of ours
   * names at its tip (none when it says they hold less), and whether that is
   * short of k. A restarted vehicle that stays idle has nothing else to go by.
   */
  assumeFromTable (fresh: readonly string[], short: boolean): void {
    if (this.roundNoted) return
    this.fresh.clear()
    for (const peer of fresh) this.fresh.add(peer)
    this.isShort = short
    this.fromTable = true
  }

  /** What a round of our chain came to. */
  noteRound (round: RoundSummary): void {
    this.roundNoted = true
    this.fromTable = false
    const at = this.now()
    // members that failed long ago and never came back would pile up
    for (const [peer, f] of this.failed) if (at - f.at >= 2 * MAX_FAILED_CANDIDATE_PAUSE_MS) this.failed.delete(peer)
    for (const { peerId } of round.failures) {
      const before = this.failed.get(peerId)
      this.failed.set(peerId, { at, pause: before == null ? FAILED_CANDIDATE_PAUSE_MS : Math.min(2 * before.pause, MAX_FAILED_CANDIDATE_PAUSE_MS) })
    }
    this.fresh.clear()
    for (const t of round.transfers) {
      this.failed.delete(t.peerId)
      this.fresh.add(t.peerId)
    }
    this.isShort = !round.complete
  }

  /**
   * A backup the last round made has been disconnected for as long as a
   * vehicle that left is remembered: the chain is one fresh copy short.
   * Whether it held one is all that counts: a vehicle gone before the round
   * was no backup of it.
   */
  backupGone (peer: string): boolean {
    if (!this.fresh.delete(peer)) return false
    this.isShort = true
    return true
  }

  /** No round is to make up for the last one (it found our chain in conflict with its backups': a write must settle that first). */
  forget (): void {
    this.isShort = false
  }

  /** A member reconnected: it may take the chain now (a vehicle back from a restart, its room freed). */
  peerConnected (peer: string): void {
    this.failed.delete(peer)
  }

  view (): ShortfallView {
    const at = this.now()
    const paused = [...this.failed]
      .map(([peerId, f]) => ({ peerId, retryInMs: Math.ceil(f.at + f.pause - at) }))
      .filter(p => p.retryInMs > 0)
    return { short: this.isShort, fresh: [...this.fresh], paused }
  }

  /**
   * The connected members a round could add as fresh backups: not fresh
   * already, not failed lately, and with room as far as `fits` knows.
   */
  candidates (members: readonly string[], fits: (peer: string) => boolean): string[] {
    if (!this.isShort) return []
    const at = this.now()
    return members.filter(peer => {
      if (this.fresh.has(peer)) return false
      const failed = this.failed.get(peer)
      if (failed != null && at - failed.at < failed.pause) return false
      return fits(peer)
    })
  }
}
