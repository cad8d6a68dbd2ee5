/**
 * Bytes a peer moved, and the time spent waiting on it for them, since it
 * last moved `minBytes`: more than `window` of waiting for less is too slow.
 * A per-message timeout alone lets a peer that sends a little now and then,
 * just under it each time, hold an exchange (and what it holds: a chain's
 * reconcile, a backup's reserved room) for as long as it likes. Time this
 * node spends on its own work (its appends) is not counted against the peer.
 */
export class ProgressFloor {
  private bytes = 0
  private waited = 0

  constructor (
    private readonly minBytes: number,
    private readonly window: number,
    private readonly tooSlow: (bytes: number, waited: number) => Error
  ) {}

  /**
   * Runs `next` (a read from the peer), counting its time as waiting on the
   * peer, less what `ownWork` (ms this node spent on its own work so far,
   * e.g. appending what the peer sent) grew by meanwhile.
   */
  async wait<T> (next: () => Promise<T>, ownWork?: () => number): Promise<T> {
    const asked = performance.now()
    const busyBefore = ownWork?.() ?? 0
    const result = await next()
    const busy = (ownWork?.() ?? 0) - busyBefore
    this.waited += Math.max(0, performance.now() - asked - busy)
    return result
  }

  /** Bytes that moved the exchange on (a repeat of what was sent before does not). */
  moved (bytes: number): void {
    this.bytes += bytes
  }

  /** @throws the tooSlow error */
  check (): void {
    if (this.bytes >= this.minBytes) {
      this.bytes = 0
      this.waited = 0
    } else if (this.waited > this.window) {
      throw this.tooSlow(this.bytes, Math.round(this.waited))
    }
  }
}
