/**
 * Forwarded writes this node is committing or has committed, by writer and
 * write id, so that a writer's retry (its answer was lost: a reset stream, a
 * timed-out wait) gets the first attempt's outcome instead of committing the
 * same transactions again.
 *
 * Only the proposer that took the first attempt remembers it here, in
 * memory; a retry that reaches another (the shared chain's leader moved, or
 * this node restarted) finds the first commit in AppliedWrites instead. A failed attempt is
 * forgotten at once, so a retry tries again: NOT_LEADER, NO_QUORUM and INVALID
 * wrote nothing; after COMMIT_TIMEOUT the first may still commit, and the
 * retry waits for it on the replica (ChainReplica.landed) instead of
 * proposing the write again.
 */
export interface RecentWritesInit {
  /** Writes remembered at most (the oldest go first). @default 4096 */
  limit?: number
  /** How long a committed write is remembered, in ms. @default 600000 */
  ttl?: number
  now?: () => number
}

/** How many writes with an id a node remembers per chain, and for how long (ms). */
export const WRITE_MEMORY = { limit: 4096, ttl: 600_000 } as const

/** A map whose entries expire after `ttl` and of which at most `limit` are kept (the oldest go first). */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V, at: number }>()
  private readonly limit: number
  private readonly ttl: number
  private readonly now: () => number

  constructor (init: RecentWritesInit = {}) {
    this.limit = init.limit ?? WRITE_MEMORY.limit
    this.ttl = init.ttl ?? WRITE_MEMORY.ttl
    this.now = init.now ?? Date.now
  }

  get size (): number {
    return this.entries.size
  }

  get (key: string): V | undefined {
    const e = this.entries.get(key)
    if (e == null || e.at < this.now() - this.ttl) return undefined
    return e.value
  }

  /** `at`: when the entry was made (ms; default now), for entries loaded from disk. */
  set (key: string, value: V, at = this.now()): void {
    this.entries.delete(key)
    // make room for one more: the expired and, past the limit, the oldest
    const oldest = this.now() - this.ttl
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.limit && e.at >= oldest) break
      this.entries.delete(k)
    }
    this.entries.set(key, { value, at })
  }

  delete (key: string): void {
    this.entries.delete(key)
  }
}

export class RecentWrites<T> {
  private readonly entries: ExpiringMap<Promise<T>>

  constructor (init: RecentWritesInit = {}) {
    this.entries = new ExpiringMap(init)
  }

  get size (): number {
    return this.entries.size
  }

  /** The outcome of the write `key` names: the remembered attempt's, else `attempt()`'s. */
  async once (key: string, attempt: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key)
    if (known != null) return await known
    const outcome = attempt()
    this.entries.set(key, outcome)
    outcome.catch(() => {
      if (this.entries.get(key) === outcome) this.entries.delete(key)
    })
    return await outcome
  }
}

/** The key of a write with an id: who sent it, to which chain, and its id (hex). */
export function writeKey (from: string, chainId: string, idHex: string): string {
  return `${from}\n${chainId}\n${idHex}`
}

/**
 * Outcomes of writes with an id that reached this node's chain store, learned
 * from the decided batches every replica applies (each batch names the ids of
 * its writes). A leader that took over, or a proposer that restarted and
 * replayed its log, finds there what an earlier attempt committed. Bounded
 * like RecentWrites; the replica also keeps them on disk (LevelPaxosStorage's
 * rememberWrites) and loads them when it opens.
 */
export class AppliedWrites<T> extends ExpiringMap<T> {}
