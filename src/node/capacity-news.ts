/**
 * Peers choose backups by the free room we advertise, and our own chain and
 * the shared one take room as they grow. Copies taken or released are
 * announced at once (onCapacityChange), but commits were not: peers went on
 * offering chains on the figure of the last periodic announcement (up to
 * 10 s old), and the offers were refused (a storage probe: a full vehicle
 * still advertised 20 kB free). So after a commit, at most once per
 * `interval`, the figure is worked out again, and announced if it moved
 * by an eighth of the capacity or more, or reached (or left) zero.
 */
export interface CapacityNewsInit {
  /** What we would advertise now (the announcement's source). */
  free: () => Promise<number>
  capacity: number
  announce: () => void
  /** @default 1 s */
  interval?: number
  /** A monotonic clock in ms. @default performance.now */
  now?: () => number
}

export class CapacityNews {
  private advertised: number | undefined
  private lastCheck = -Infinity
  private checking = false
  /** A check put off to the end of the interval: commits within it are checked then, not forgotten. */
  private deferred: ReturnType<typeof setTimeout> | undefined
  /** A commit came while a check was under way (it may have read the figure before it): one more check follows. */
  private recheck = false

  constructor (private readonly init: CapacityNewsInit) {}

  /** No more checks (the node stops). */
  stop (): void {
    clearTimeout(this.deferred)
    this.deferred = undefined
    this.recheck = false
  }

  /** The figure an announcement is going out with. */
  advertise (free: number): void {
    this.advertised = free
  }

  /** A chain of ours grew: peers hear of it if what they were told is now far off. Resolves once checked (never rejects). */
  async grew (): Promise<void> {
    if (this.checking) {
      // checked once this check ends, not by a timer: one set while a slow check ran, past the
      // interval, fired every millisecond until the check ended (a review)
      this.recheck = true
      return
    }
    const now = this.clock()
    if (now - this.lastCheck < this.interval()) {
      // the commits of a burst after a check are checked once it is over (they could cross the line unheard)
      this.defer(now)
      return
    }
    this.lastCheck = now
    this.checking = true
    try {
      const free = await this.init.free()
      if (this.advertised != null && movedMuch(this.advertised, free, this.init.capacity)) this.init.announce()
    } catch {
      // the figure could not be worked out (the node stopping): the periodic announcement carries on
    } finally {
      this.checking = false
      if (this.recheck) {
        this.recheck = false
        this.defer(this.clock())
      }
    }
  }

  /** Checks again once the interval after the last check is over. */
  private defer (now: number): void {
    this.deferred ??= setTimeout(() => {
      this.deferred = undefined
      void this.grew()
    }, Math.max(1, this.lastCheck + this.interval() - now))
    // nothing to wait for at exit: the periodic announcement carries on
    this.deferred.unref?.()
  }

  private clock (): number {
    return this.init.now?.() ?? performance.now()
  }

  private interval (): number {
    return this.init.interval ?? 1_000
  }
}

function movedMuch (before: number, now: number, capacity: number): boolean {
  return (before > 0) !== (now > 0) || Math.abs(before - now) >= capacity / 8
}
