/**
 * Forwarded writes this node is committing or has committed, by writer and
 * write id, so that a writer's retry (its answer was lost: a reset stream, a
 * timed-out wait) gets the first attempt's outcome instead of committing the
 * same transactions again.
 *
 * Only the proposer that took the first attempt remembers it, in memory: a
 * retry that reaches another (the shared chain's leader moved, or this node
 * restarted) may still commit twice (docs/consensus.md). A failed attempt is
 * forgotten at once, so a retry tries again: NOT_LEADER, NO_QUORUM and INVALID
 * wrote nothing; after COMMIT_TIMEOUT the first may still commit, which this
 * cannot see.
 */
export interface RecentWritesInit {
  /** Writes remembered at most (the oldest go first). @default 4096 */
  limit?: number
  /** How long a committed write is remembered, in ms. @default 600000 */
  ttl?: number
  now?: () => number
}

interface Remembered<T> {
  outcome: Promise<T>
  at: number
}

export class RecentWrites<T> {
  private readonly entries = new Map<string, Remembered<T>>()
  private readonly limit: number
  private readonly ttl: number
  private readonly now: () => number

  constructor (init: RecentWritesInit = {}) {
    this.limit = init.limit ?? 4096
    this.ttl = init.ttl ?? 600_000
    this.now = init.now ?? Date.now
  }

  get size (): number {
    return this.entries.size
  }

  /** The outcome of the write `key` names: the remembered attempt's, else `attempt()`'s. */
  async once (key: string, attempt: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key)
    if (known != null && known.at >= this.now() - this.ttl) return await known.outcome
    this.entries.delete(key)
    this.evict()
    const outcome = attempt()
    this.entries.set(key, { outcome, at: this.now() })
    outcome.catch(() => {
      if (this.entries.get(key)?.outcome === outcome) this.entries.delete(key)
    })
    return await outcome
  }

  /** Makes room for one more: drops the expired and, past the limit, the oldest. */
  private evict (): void {
    const oldest = this.now() - this.ttl
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.limit && entry.at >= oldest) break
      this.entries.delete(key)
    }
  }
}
