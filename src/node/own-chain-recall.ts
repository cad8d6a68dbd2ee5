/**
 * A vehicle that lost its database gets its own chain back as soon as the
 * vehicles that hold it are around, not at its first write. Until then its
 * store holds none of the chain: a probe's node answered "no value" for
 * acknowledged keys (local reads now refuse instead) and its status said
 * the backups were away while both were connected, for as long as nobody
 * wrote. This schedules the attempts: one at start, one whenever a member
 * connects, and retries with backoff while the chain is not back.
 */
import type { Logger } from '@libp2p/interface'

/** The first retry after a failed attempt; each later one waits twice as long, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000
const MAX_RETRY_MS = 30_000

export interface OwnChainRecallDeps {
  /** One try: true once the chain is back (nothing more to do). */
  attempt: () => Promise<boolean>
  log: Logger
}

export class OwnChainRecall {
  private timer?: ReturnType<typeof setTimeout>
  private trying = false
  private active = false
  private delay = FIRST_RETRY_MS

  constructor (private readonly d: OwnChainRecallDeps) {}

  start (): void {
    this.active = true
    this.delay = FIRST_RETRY_MS
    this.soon(0)
  }

  /** A member connected: it may hold the chain, so the next try is now (after one under way). */
  poke (): void {
    if (!this.active) return
    this.delay = FIRST_RETRY_MS
    if (!this.trying) this.soon(0)
  }

  stop (): void {
    this.active = false
    clearTimeout(this.timer)
  }

  private soon (ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.run() }, ms)
  }

  private async run (): Promise<void> {
    if (!this.active || this.trying) return
    this.trying = true
    let back = false
    try {
      back = await this.d.attempt()
    } catch (err) {
      this.d.log('own chain not back yet: %s', (err as Error).message)
    } finally {
      this.trying = false
    }
    if (back) {
      this.active = false
      return
    }
    if (!this.active) return
    this.soon(this.delay)
    this.delay = Math.min(2 * this.delay, MAX_RETRY_MS)
  }
}
