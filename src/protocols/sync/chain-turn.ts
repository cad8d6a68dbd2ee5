import type { KeyedLock } from '../keyed-lock.ts'
import { untilAborted } from '../until-aborted.ts'

/**
 * A reconcile's turn at one chain (its KeyedLock entry). It hands the turn
 * over when its fetch stalls, so the next reconcile of the chain goes ahead
 * while the stalled fetch runs on; before it starts another fetch (a retry
 * once the chain moved on, or its next peer) it takes the turn again, in
 * line behind the reconciles that came since. Until 2026-12-03 a reconcile
 * that had handed its turn over started its later fetches at once, beside
 * the reconcile that held the turn: the two fetched the same blocks and
 * told each other the chain had moved on, retry after retry.
 */
export class ChainTurn {
  private release: (() => void) | undefined
  private readonly over = Promise.withResolvers<void>()

  /** Held with `release` (a KeyedLock task's); without it, not held until taken (retake). */
  constructor (private readonly locks: KeyedLock, private readonly chainId: string, release?: () => void) {
    this.release = release
  }

  get held (): boolean {
    return this.release != null
  }

  /** Lets the next reconcile of the chain start; this one runs on outside the lock. */
  handOver (): void {
    this.release?.()
    this.release = undefined
  }

  /**
   * Holds the turn, again or for the first time (at once if it is held). An abort of
   * `signal` ends the wait with its reason: a reconcile its caller gave up
   * waited on until the reconcile ahead of it ended or stalled, however long
   * its fetch kept moving (a probe, 2026-12-03). The turn, once it comes,
   * goes straight on to the next.
   */
  async retake (signal?: AbortSignal): Promise<void> {
    if (this.release != null) return
    signal?.throwIfAborted()
    const taken = Promise.withResolvers<() => void>()
    // the lock's task lasts until the reconcile ends (or hands the turn over again)
    void this.locks.run(this.chainId, async (release) => {
      taken.resolve(release)
      await this.over.promise
    })
    if (signal == null) {
      this.release = await taken.promise
      return
    }
    try {
      this.release = await untilAborted(taken.promise, signal)
    } catch (err) {
      void taken.promise.then((release) => { release() })
      throw err
    }
  }

  /** The reconcile is done: whatever turn it holds goes to the next. */
  end (): void {
    this.handOver()
    this.over.resolve()
  }
}
