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

  constructor (private readonly init: CapacityNewsInit) {}

  /** No more checks (the node stops). */
  stop (): void {
    clearTimeout(this.deferred)
    this.deferred = undefined
  }

  /** The figure an announcement is going out with. */
  advertise (free: number): void {
    this.advertised = free
  }

  /** A chain of ours grew: peers hear of it if what they were told is now far off. Resolves once checked (never rejects). */
  async grew (): Promise<void> {
    const now = this.init.now?.() ?? performance.now()
    const interval = this.init.interval ?? 1_000
    if (this.checking || now - this.lastCheck < interval) {
      // the commits of a burst after a check are checked once it is over (they could cross the line unheard)
      this.deferred ??= setTimeout(() => {
        this.deferred = undefined
        void this.grew()
      }, Math.max(1, this.lastCheck + interval - now))
      // nothing to wait for at exit: the periodic announcement carries on
      this.deferred.unref?.()
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
    }
  }
}

function movedMuch (before: number, now: number, capacity: number): boolean {
  return (before > 0) !== (now > 0) || Math.abs(before - now) >= capacity / 8
}
