/**
 * The driver's side of leader reads (consensus/reads.ts): callers wait for
 * the state machine to confirm their read, which names a read index, and
 * then for the chain store to have applied every slot up to that index.
 */
import type { FailedRead, ReadState } from '../consensus/index.ts'

interface Waiter {
  deadline: number
  /** What waits, for its error: "leader read of <chain>", or a write that waits on its new leader's confirmation. */
  what: string
  /** Set once the state machine confirmed the read. */
  index?: number
  resolve: () => void
  reject: (err: Error) => void
}

export class LeaderReadWaiters {
  private readonly waiting = new Map<string, Waiter>()
  private readonly prefix: string
  private seq = 0

  constructor (prefix: string) {
    this.prefix = prefix
  }

  /** A context no earlier read of this replica used. */
  nextContext (): string {
    return `${this.prefix}:${++this.seq}`
  }

  /** Resolves when `ctx` is confirmed and applied; rejects when it fails or its deadline passes. */
  async wait (ctx: string, deadline: number, what: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.waiting.set(ctx, { deadline, what, resolve, reject })
    })
  }

  /** Resolves when the chain store applied every slot ≤ `index` (release); rejects at `deadline` (expire). */
  async waitApplied (index: number, deadline: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.waiting.set(this.nextContext(), { deadline, what: `apply up to slot ${index}`, index, resolve, reject })
    })
  }

  /** The state machine confirmed these reads; `applied` is the last slot the chain store holds. */
  confirmed (reads: ReadState[], applied: number): void {
    for (const r of reads) {
      const w = this.waiting.get(r.ctx)
      if (w != null) w.index = r.index
    }
    this.release(applied)
  }

  /** Reads the state machine gave up on: each gets the error `why` makes of it. */
  failed (reads: FailedRead[], why: (read: FailedRead, what: string) => Error): void {
    for (const r of reads) {
      const w = this.waiting.get(r.ctx)
      if (w == null || w.index != null) continue
      this.waiting.delete(r.ctx)
      w.reject(why(r, w.what))
    }
  }

  /** The chain store applied every slot ≤ `applied`: confirmed reads up to it may be served. */
  release (applied: number): void {
    for (const [ctx, w] of this.waiting) {
      if (w.index != null && w.index <= applied) {
        this.waiting.delete(ctx)
        w.resolve()
      }
    }
  }

  /** Fails the reads past their deadline with the error `why` makes (whether each was confirmed decides which). */
  expire (now: number, why: (confirmed: boolean, what: string) => Error): void {
    for (const [ctx, w] of this.waiting) {
      if (now < w.deadline) continue
      this.waiting.delete(ctx)
      w.reject(why(w.index != null, w.what))
    }
  }

  rejectAll (err: Error): void {
    for (const w of this.waiting.values()) w.reject(err)
    this.waiting.clear()
  }
}
