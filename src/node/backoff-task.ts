/**
 * Work a node must finish on its own, without a write to carry it, once
 * other vehicles are around: one try at start, one whenever a member
 * connects (poke), and retries with backoff until a try says it is done.
 * Used for a vehicle that lost its database getting its chain back (a
 * probe's node answered "no value" for acknowledged keys, and said its
 * backups were away while both were connected, for as long as nobody
 * wrote), and for the rounds of a vehicle's chain no commit carries:
 * settling the copies a round that crashed left (a probe: kept until the
 * owner's next commit, for good if it never wrote again), and making up a
 * round that fell short of k backups.
 */
import type { Logger } from '@libp2p/interface'

/** The first retry after a failed attempt; each later one waits twice as long, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000
const MAX_RETRY_MS = 30_000

export interface BackoffTaskDeps {
  /** One try: true once the work is done (nothing more to do). */
  attempt: () => Promise<boolean>
  /** What the task does, for the log. */
  what: string
  log: Logger
}

export class BackoffTask {
  private timer?: ReturnType<typeof setTimeout>
  /** The try under way, if one is. */
  private current?: Promise<void>
  private trying = false
  private active = false
  private delay = FIRST_RETRY_MS

  constructor (private readonly d: BackoffTaskDeps) {}

  start (): void {
    this.active = true
    this.delay = FIRST_RETRY_MS
    this.soon(0)
  }

  /** Starts unless it runs already (its backoff then goes on as it was). */
  ensure (): void {
    if (!this.active) this.start()
  }

  /** A member connected: the next try is now (after one under way). */
  poke (): void {
    if (!this.active) return
    this.delay = FIRST_RETRY_MS
    if (!this.trying) this.soon(0)
  }

  /** No more tries; resolves once the one under way, if any, has ended. */
  async stop (): Promise<void> {
    this.active = false
    clearTimeout(this.timer)
    await this.current
  }

  private soon (ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      if (!this.active || this.trying) return
      this.current = this.run().finally(() => { this.current = undefined })
    }, ms)
  }

  private async run (): Promise<void> {
    this.trying = true
    let done = false
    try {
      done = await this.d.attempt()
    } catch (err) {
      this.d.log('%s: not done yet: %s', this.d.what, (err as Error).message)
    } finally {
      this.trying = false
    }
    if (done) {
      this.active = false
      return
    }
    if (!this.active) return
    this.soon(this.delay)
    this.delay = Math.min(2 * this.delay, MAX_RETRY_MS)
  }
}
