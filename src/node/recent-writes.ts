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
 * proposing the write again. The replica also holds a write memory let go
 * of while it still waited to be proposed (WriteLedger.enqueue), and runs
 * the attempts of one write one at a time (WriteLedger.attempt): this join
 * forgets past its bound, also an attempt still under way.
 */
export interface RecentWritesInit {
  /** Writes remembered at most per writer (its oldest go first). @default 4096 */
  limit?: number
  /** Writes remembered at most over all writers (the busiest writer's oldest go first). @default 16384 */
  total?: number
  /** How long a committed write is remembered, in ms. @default 600000 */
  ttl?: number
  /** A monotonic clock in ms (a step of the wall clock must not age the entries). @default performance.now */
  now?: () => number
}

/**
 * How many writes with an id a node remembers, per writer and in all, and
 * for how long (ms). Per writer: one writer's flood (thousands of writes a
 * second) evicted everyone else's, and an honest retry then committed twice.
 */
export const WRITE_MEMORY = { limit: 4096, total: 16_384, ttl: 600_000 } as const

/** The writer a key names (writeKey puts it first). */
function writerOf (key: string): string {
  const end = key.indexOf('\n')
  return end === -1 ? key : key.slice(0, end)
}

interface Entry<V> { value: V, at: number }

/**
 * A map whose entries expire after `ttl`, holding at most `limit` entries per
 * writer and `total` in all: past the total, the writer holding the most
 * loses its oldest, so a writer that floods the map evicts its own entries.
 */
class ExpiringMap<V> {
  private readonly writers = new Map<string, Map<string, Entry<V>>>()
  /** Each key's owner: the writer whose share it counts against. */
  private readonly owners = new Map<string, string>()
  private count = 0
  private readonly limit: number
  private readonly total: number
  private readonly ttl: number
  private readonly now: () => number

  constructor (init: RecentWritesInit = {}) {
    this.limit = init.limit ?? WRITE_MEMORY.limit
    this.total = Math.max(1, init.total ?? WRITE_MEMORY.total)
    this.ttl = init.ttl ?? WRITE_MEMORY.ttl
    this.now = init.now ?? performance.now.bind(performance)
  }

  get size (): number {
    return this.count
  }

  get (key: string): V | undefined {
    const owner = this.owners.get(key)
    const e = owner == null ? undefined : this.writers.get(owner)?.get(key)
    if (e == null || e.at < this.now() - this.ttl) return undefined
    return e.value
  }

  /**
   * `age`: how long ago the entry was made (ms), for entries loaded from disk.
   * `writer`: whose share it counts against; by default the writer the key
   * names (a keyed write's names none: it counts against the node that carried it).
   */
  set (key: string, value: V, age = 0, writer = writerOf(key)): void {
    const at = this.now() - age
    this.delete(key)
    const own = this.writers.get(writer) ?? new Map<string, Entry<V>>()
    this.writers.set(writer, own)
    // make room for one more: the writer's expired and, past its limit, its oldest
    const oldest = this.now() - this.ttl
    for (const [k, e] of own) {
      if (own.size < this.limit && e.at >= oldest) break
      own.delete(k)
      this.owners.delete(k)
      this.count--
    }
    // past the total, the busiest writer gives way (this one too, if it is the busiest)
    let room = this.count < this.total
    while (!room && this.evictFromBusiest()) room = this.count < this.total
    // eviction may have emptied and dropped this writer's map
    this.writers.set(writer, own)
    own.set(key, { value, at })
    this.owners.set(key, writer)
    this.count++
  }

  /** The entries not expired: key, value, how long ago each was made (ms), and the writer whose share it takes. */
  * entries (): Generator<{ key: string, value: V, age: number, owner: string }> {
    const now = this.now()
    for (const [owner, own] of this.writers) {
      for (const [key, e] of own) {
        if (e.at >= now - this.ttl) yield { key, value: e.value, age: now - e.at, owner }
      }
    }
  }

  delete (key: string): void {
    const writer = this.owners.get(key)
    if (writer == null) return
    this.owners.delete(key)
    const own = this.writers.get(writer)
    if (own?.delete(key) !== true) return
    this.count--
    if (own.size === 0) this.writers.delete(writer)
  }

  /** Drops the oldest entry of the writer holding the most; false if there was none. */
  private evictFromBusiest (): boolean {
    let busiest: [string, Map<string, Entry<V>>] | undefined
    for (const entry of this.writers) if (busiest == null || entry[1].size > busiest[1].size) busiest = entry
    if (busiest == null) return false
    const [writer, entries] = busiest
    const first = entries.keys().next()
    if (first.done === true) {
      this.writers.delete(writer)
      return true
    }
    entries.delete(first.value)
    this.owners.delete(first.value)
    this.count--
    if (entries.size === 0) this.writers.delete(writer)
    return true
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

  /** The outcome of the write `key` names: the remembered attempt's, else `attempt()`'s. `owner`: see ExpiringMap.set. */
  async once (key: string, attempt: () => Promise<T>, owner?: string): Promise<T> {
    const known = this.entries.get(key)
    if (known != null) return await known
    const outcome = attempt()
    this.entries.set(key, outcome, 0, owner)
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

/** Whose share of the write memory a write's id counts against: its writer, or for a keyed write the node that carried it. */
export function memoryOwner (ref: { from: string, carrier?: string }): string {
  return ref.from !== '' ? ref.from : ref.carrier ?? ''
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
