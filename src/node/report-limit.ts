/**
 * Refusals of peers are said (peer:rejected, a log line) at most `limit`
 * times per `windowMs` in all, and once per peer per minute (the callers').
 * Peer ids cost nothing to make: an outsider dialling with a fresh key each
 * time (a probe: 150 in 18 s) filled the CLI's output and pushed every other
 * event out of the dashboard's history. Past the limit they are counted, and
 * the count is said once the window ends.
 */
export interface ReportLimitInit {
  /** @default 10 */
  limit?: number
  /** @default 60 s */
  windowMs?: number
  /** Called with how many went unsaid in a window that has ended. */
  onSuppressed: (count: number) => void
  /** A monotonic clock in ms. @default performance.now */
  now?: () => number
}

export class ReportLimit {
  private windowStart = -Infinity
  private said = 0
  private suppressed = 0

  constructor (private readonly init: ReportLimitInit) {}

  /** Whether this report may be said now (counted if not). */
  allow (): boolean {
    const now = this.init.now?.() ?? performance.now()
    if (now - this.windowStart >= (this.init.windowMs ?? 60_000)) {
      if (this.suppressed > 0) this.init.onSuppressed(this.suppressed)
      this.windowStart = now
      this.said = 0
      this.suppressed = 0
    }
    if (this.said < (this.init.limit ?? 10)) {
      this.said++
      return true
    }
    this.suppressed++
    return false
  }
}
