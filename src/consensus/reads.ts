/**
 * Leader reads, as raft's ReadIndex: a leader that answers a read from its
 * own state must first make sure it still leads. A leader cut off in a
 * minority does not know that a majority elected someone else and decided
 * newer values; reading its state then would return stale data.
 *
 * When a read arrives the leader notes its read index (the highest slot a
 * value chosen so far can hold) and asks the booths in a heartbeat numbered
 * `seq`. An acceptor acknowledges only a heartbeat whose ballot is at least
 * what it promised. Once a majority of every booth that could decide a slot
 * above the index acknowledged `seq` or later, no higher ballot had a
 * majority's promise when the read arrived (two majorities of one booth
 * share a member, and that member acknowledged after the read arrived), so
 * nothing above the index was decided by anyone else: the state through the
 * index is the newest there is.
 */
import { hasMajority } from './booth.ts'
import type { FailedRead, ReadState } from './types.ts'

interface PendingRead {
  ctx: string
  index: number
  seq: number
  booths: string[][]
  acks: Set<string>
  age: number
}

export class LeaderReads {
  private pending: PendingRead[] = []
  private seq = 0
  private confirmed: ReadState[] = []
  private failed: FailedRead[] = []

  get size (): number {
    return this.pending.length
  }

  /** The number of the newest read waiting for acknowledgements (0: none): heartbeats carry it. */
  waiting (): number {
    return this.pending.length > 0 ? this.pending[this.pending.length - 1].seq : 0
  }

  /** Everyone whose acknowledgement a waiting read still counts on. */
  askees (self: string): string[] {
    const out = new Set<string>()
    for (const p of this.pending) for (const b of p.booths) for (const m of b) if (m !== self) out.add(m)
    return [...out]
  }

  /** Registers a read; returns its number (the leader's own acknowledgement is counted at once). */
  add (ctx: string, index: number, booths: string[][], self: string): number {
    const seq = ++this.seq
    this.pending.push({ ctx, index, seq, booths, acks: new Set([self]), age: 0 })
    this.settle()
    return seq
  }

  /** `from` took heartbeat `read` at the leader's ballot: it vouches for every read numbered up to it. */
  ack (from: string, read: number): void {
    for (const p of this.pending) {
      if (p.seq <= read) p.acks.add(from)
    }
    this.settle()
  }

  /** Ages waiting reads by one tick; those older than `maxAge` fail. */
  tick (maxAge: number): void {
    const keep: PendingRead[] = []
    for (const p of this.pending) {
      if (++p.age >= maxAge) this.failed.push({ ctx: p.ctx, reason: 'timeout' })
      else keep.push(p)
    }
    this.pending = keep
  }

  /** The leadership ended: no waiting read can be confirmed by it. */
  failAll (leader?: string): void {
    for (const p of this.pending) this.failed.push({ ctx: p.ctx, reason: 'not-leader', ...(leader != null ? { leader } : {}) })
    this.pending = []
  }

  hasOutput (): boolean {
    return this.confirmed.length > 0 || this.failed.length > 0
  }

  take (): { reads: ReadState[], failedReads: FailedRead[] } {
    const out = { reads: this.confirmed, failedReads: this.failed }
    this.confirmed = []
    this.failed = []
    return out
  }

  private settle (): void {
    const keep: PendingRead[] = []
    for (const p of this.pending) {
      if (p.booths.every(b => hasMajority(b, p.acks))) this.confirmed.push({ ctx: p.ctx, index: p.index })
      else keep.push(p)
    }
    this.pending = keep
  }
}
