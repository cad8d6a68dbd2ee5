/**
 * Damping of Bully takeovers (elected chains). The best-ranked vehicle takes
 * the shared chain over from a lower one it has followed steadily for two
 * election timeouts (candidacy.ts mayTakeOver). A best vehicle whose link flaps
 * (driving in and out of range) took it back at every stretch in range and
 * lost it at every cut: a probe's five vehicles saw the leader change 32
 * times in 4 minutes, with no leader in 5 of 48 samples, and shared writes
 * waited up to 5 s.
 *
 * So a node that lost a leadership to a booth it could no longer reach (its
 * quorum check failed, or a candidate it outranks was elected meanwhile)
 * waits longer before its next takeover: two election timeouts more at the
 * first loss, twice as long at each loss after, up to `max` ticks. Once it
 * has led as long as its wait without losing, the wait is gone; the ticks a
 * leader leads before its quorum check can tell it lost its booth (`lag`)
 * do not count, as a cut-off leader leads on for that long. Nothing
 * changes for a node that hears no leader: it campaigns when its timeout
 * passes, as always, so the damping never leaves a chain without a leader.
 */
export class TakeoverDamping {
  private readonly base: number
  private readonly max: number
  private readonly lag: number
  /** Ticks a takeover waits beyond Bully's own wait. */
  private penalty = 0
  /** Ticks led since this node last became leader. */
  private led = 0

  /**
   * `base`: the wait added at the first loss (ticks); `max`: the most it
   * grows to; `lag`: how long a leader may lead on after losing its booth
   * (its quorum check's window).
   */
  constructor (base: number, max: number, lag: number) {
    this.base = base
    this.max = max
    this.lag = lag
  }

  /** Ticks a takeover waits now beyond Bully's own wait. */
  get extraTicks (): number {
    return this.penalty
  }

  /** This node lost its leadership to a booth it could not reach. */
  lost (): void {
    this.penalty = Math.min(this.max, this.penalty === 0 ? this.base : 2 * this.penalty)
    this.led = 0
  }

  /** This node became leader. */
  began (): void {
    this.led = 0
  }

  /** A tick led: once it led as long as its wait (and the lag), the wait goes. */
  ledTick (): void {
    if (this.penalty === 0) return
    if (++this.led >= this.penalty + this.lag) {
      this.penalty = 0
      this.led = 0
    }
  }
}
