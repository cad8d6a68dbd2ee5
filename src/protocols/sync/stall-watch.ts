/**
 * Calls `onStall` once a fetch has received nothing, and appended nothing, for `ms`: a reconcile
 * then hands its chain's turn over (KeyedLock's release), so a peer that
 * answered its tip and then stalled its blocks no longer holds every other
 * reconcile of the chain until the per-message timeout (10 s) drops it.
 * The stalled fetch runs on, outside the lock, until it moves again, ends,
 * or is dropped.
 */
export class StallWatch {
  private readonly timer: ReturnType<typeof setTimeout>

  constructor (ms: number, onStall: () => void) {
    this.timer = setTimeout(onStall, ms)
  }

  /** A frame came, or an append ended: the clock starts over. */
  touch (): void {
    this.timer.refresh()
  }

  clear (): void {
    clearTimeout(this.timer)
  }
}
