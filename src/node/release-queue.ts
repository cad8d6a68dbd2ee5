/**
 * Releases not yet acknowledged, persisted so they survive a restart, and the
 * loop that retries them with backoff until each obsolete backup answers.
 * A backup that became active again is dropped from the queue: it keeps its
 * copy. STALE and INVALID answers also end the retries (they never change);
 * ERROR (the backup failed to carry it out), a timeout or a reset do not.
 *
 * The same loop hands each round's table to the backups it names active
 * (over the same protocol, which only adopts it for an active backup): gossip
 * is a hint, and a backup that never hears its table holds an unclaimed copy
 * that retention prunes after τ. These hand-offs live in memory only (a
 * restart hands the node's own table again): persisting one per round would
 * put an fsync in every commit's replication for what gossip mostly does.
 *
 * A backup this node is not connected to is not dialled: its release waits
 * until the backup connects again (peering connects to every member it
 * discovers), then goes at once. Obsolete backups are mostly vehicles that
 * drove on; dialling each of them every 30 s, forever, would be a storm of
 * failed dials that grows with every vehicle met.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from '@libp2p/interface'
import type { BatchOp, BinarySublevel } from '../storage/database.ts'
import type { BackupTableStore } from '../backup/index.ts'
import type { ReleaseService } from '../protocols/release/index.ts'
import { SYNC_WRITE } from '../storage/database.ts'

/**
 * Releases owed at most: one is added for each backup a round replaces, and
 * a vehicle that meets many drives past most of them for good. Past it the
 * oldest owed to a backup not connected now is given up (then the oldest):
 * its copy is an unclaimed one there, which retention prunes after its grace,
 * as for a backup that never heard its table.
 */
export const MAX_RELEASES = 4_096

/** First retry of an unacknowledged release; doubles up to the maximum. */
const RETRY_MIN = 500
const RETRY_MAX = 30_000
const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

/** An entry's key, in memory and (for releases) on disk. */
function keyOf (chainId: string, peerId: string): string {
  return `${chainId}\n${peerId}`
}

/** `nextAt` is Infinity while the backup is not connected. `handOff`: the table to an active backup (not persisted). `sending`: on its way now. */
interface PendingRelease { chainId: string, peerId: string, attempts: number, nextAt: number, handOff: boolean, sending?: boolean }

export interface ReleaseQueueInit {
  db: BinarySublevel
  tables: BackupTableStore
  release: Pick<ReleaseService, 'release'>
  log: Logger
  /** Whether this node is connected to the peer now. @default always */
  isConnected?: (peerId: string) => boolean
  /** @default MAX_RELEASES */
  maxReleases?: number
  /** The first retry's delay (ms), doubled up to RETRY_MAX. @default RETRY_MIN */
  retryMin?: number
}

export class ReleaseQueue {
  private readonly init: ReleaseQueueInit
  private readonly pending = new Map<string, PendingRelease>()
  /** Releases prepare() persisted whose round has not reached update() yet. */
  private readonly prepared = new Set<string>()
  private timer?: ReturnType<typeof setTimeout>
  private running = false
  /**
   * The queue's writes, each issued once the one before it ended: classic-level runs every call on the
   * thread pool, so a delete issued before a put of the same key may reach LevelDB after it. An
   * acknowledged release's delete then wiped the record of one prepare() had just persisted again for the
   * same backup (1 in 25 to 1 in 8 in a test), and a restart before its answer never told that backup (a probe, 2026-12-03).
   */
  private writes: Promise<void> = Promise.resolve()

  constructor (init: ReleaseQueueInit) {
    this.init = init
  }

  /** Loads what an earlier run left unacknowledged and starts sending. */
  async start (): Promise<void> {
    for await (const [key] of this.init.db.iterator()) {
      const [chainId, peerId] = utf8d.decode(key).split('\n')
      this.pending.set(keyOf(chainId, peerId), { chainId, peerId, attempts: 0, nextAt: 0, handOff: false })
    }
    await this.bound()
    this.running = true
    this.schedule(0)
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
  }

  /** Obsolete backups of this chain still to be released. */
  peers (chainId: string): string[] {
    return this.releases().filter(p => p.chainId === chainId).map(p => p.peerId)
  }

  /**
   * Releases not yet acknowledged; `offline`: waiting for the backup to connect again. Asked of the
   * connections now, not only of `nextAt`: one backing off after a failure is Infinity only once its
   * retry comes due, and said offline: false for up to RETRY_MAX after its backup left (a probe, 2026-12-03).
   */
  list (): Array<{ chainId: string, peerId: string, attempts: number, offline: boolean }> {
    const connected = this.init.isConnected ?? (() => true)
    return this.releases().map(({ chainId, peerId, attempts, nextAt }) => ({ chainId, peerId, attempts, offline: nextAt === Infinity || !connected(peerId) }))
  }

  /** Active backups of a chain that have not yet acknowledged its table. */
  handOffs (chainId: string): string[] {
    return [...this.pending.values()].filter(p => p.handOff && p.chainId === chainId).map(p => p.peerId)
  }

  private releases (): PendingRelease[] {
    return [...this.pending.values()].filter(p => !p.handOff)
  }

  /** Hands the chain's newest table to these (active) backups, until each acknowledges it. */
  handOff (chainId: string, active: string[]): void {
    for (const peerId of active) {
      const key = keyOf(chainId, peerId)
      if (this.pending.get(key)?.handOff === false) continue
      this.pending.set(key, { chainId, peerId, attempts: 0, nextAt: 0, handOff: true })
    }
    this.schedule(0)
  }

  /**
   * A peer connected: its releases and hand-offs go now, those that waited
   * for it and those backing off after a failure too (most likely the
   * connection that ended). A vehicle back in range for a short while saw its
   * release wait out the backoff, up to RETRY_MAX, and often drive off again
   * before it (a probe, 2026-12-03).
   */
  peerConnected (peerId: string): void {
    let any = false
    for (const entry of this.pending.values()) {
      if (entry.peerId !== peerId || entry.sending === true || entry.nextAt === 0) continue
      entry.nextAt = 0
      any = true
    }
    if (any) this.schedule(0)
  }

  /**
   * Persists the releases a new epoch will owe, before its table is adopted: a
   * crash between the table and update() would otherwise leave that round's
   * obsolete backups untold for good (the next round starts from the table,
   * which no longer names them active). A crash before the table leaves
   * releases the next start sends with the table it holds then: those still
   * active in it are handed it instead (send()), so nothing is lost either way.
   */
  async prepare (chainId: string, obsolete: string[]): Promise<void> {
    const keys = obsolete.map(peerId => keyOf(chainId, peerId)).filter(key => this.pending.get(key)?.handOff !== false && !this.prepared.has(key))
    if (keys.length === 0) return
    await this.write(async (db) => { await db.batch(keys.map(key => ({ type: 'put' as const, key: utf8.encode(key), value: new Uint8Array(0) })), SYNC_WRITE) })
    for (const key of keys) this.prepared.add(key)
  }

  /**
   * Records a new epoch: its obsolete backups are to be told (persisted,
   * before any release is sent, unless prepare() did), its active ones are
   * handed the table instead.
   */
  async update (chainId: string, obsolete: string[], active: string[]): Promise<void> {
    const ops: BatchOp[] = []
    for (const peerId of active) {
      const key = keyOf(chainId, peerId)
      if (this.pending.get(key)?.handOff === false || this.prepared.delete(key)) ops.push({ type: 'del', key: utf8.encode(key) })
      this.pending.set(key, { chainId, peerId, attempts: 0, nextAt: 0, handOff: true })
    }
    for (const peerId of obsolete) {
      const key = keyOf(chainId, peerId)
      if (this.pending.get(key)?.handOff !== false) {
        this.pending.set(key, { chainId, peerId, attempts: 0, nextAt: 0, handOff: false })
        if (!this.prepared.has(key)) ops.push({ type: 'put', key: utf8.encode(key), value: new Uint8Array(0) })
      }
      this.prepared.delete(key)
    }
    if (ops.length > 0) await this.write(async (db) => { await db.batch(ops, SYNC_WRITE) })
    await this.bound()
    this.schedule(0)
  }

  /** Gives up the oldest releases past maxReleases, those owed to backups not connected now first (see MAX_RELEASES). */
  private async bound (): Promise<void> {
    const releases = this.releases()
    const excess = releases.length - (this.init.maxReleases ?? MAX_RELEASES)
    if (excess <= 0) return
    const connected = this.init.isConnected ?? (() => true)
    const away = releases.filter(p => p.sending !== true && !connected(p.peerId))
    const rest = releases.filter(p => p.sending !== true && connected(p.peerId))
    const dropped = [...away, ...rest].slice(0, excess)
    for (const p of dropped) this.pending.delete(keyOf(p.chainId, p.peerId))
    await this.write(async (db) => { await db.batch(dropped.map(p => ({ type: 'del' as const, key: utf8.encode(keyOf(p.chainId, p.peerId)) })), SYNC_WRITE) })
    this.init.log('%d releases given up (more than %d owed): their copies are unclaimed, pruned after their grace', dropped.length, this.init.maxReleases ?? MAX_RELEASES)
  }

  /** Done with this entry, unless a newer one of the same chain and peer took its place meanwhile. */
  private async clear (entry: PendingRelease): Promise<void> {
    const key = keyOf(entry.chainId, entry.peerId)
    if (this.pending.get(key) !== entry) return
    this.pending.delete(key)
    if (!entry.handOff) await this.write(async (db) => { await db.del(utf8.encode(key)) })
  }

  /** Runs a write of the queue's records after every one issued before it ended (writes); its failure is the caller's. */
  private async write (run: (db: BinarySublevel) => Promise<void>): Promise<void> {
    const done = this.writes.then(async () => { await run(this.init.db) })
    this.writes = done.catch(() => {})
    await done
  }

  private schedule (delay: number): void {
    if (!this.running) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { this.sendDue() }, delay)
  }

  /**
   * Sends every entry that is due, each on its own: one backup that is slow
   * to answer (up to the protocol's timeout) holds up no other.
   */
  private sendDue (): void {
    if (!this.running) return
    const now = performance.now()
    const connected = this.init.isConnected ?? (() => true)
    for (const entry of this.pending.values()) {
      if (entry.sending === true || entry.nextAt > now) continue
      if (!connected(entry.peerId)) {
        entry.nextAt = Infinity
        continue
      }
      entry.sending = true
      void this.send(entry).catch((err: Error) => {
        // the database under the queue failed (a full disk): the vehicle goes on (an unhandled rejection ended its
        // process). An entry cleared from memory but not from disk is sent again after a restart (releases are
        // idempotent); one still pending is tried again later
        this.init.log.error('release of %s to %s: %s', entry.chainId, entry.peerId, err.message)
        entry.nextAt = performance.now() + RETRY_MIN
      }).finally(() => {
        entry.sending = false
        this.scheduleNext()
      })
    }
    this.scheduleNext()
  }

  /** The timer for the soonest entry due that is not on its way already. */
  private scheduleNext (): void {
    let soonest = Infinity
    for (const p of this.pending.values()) if (p.sending !== true) soonest = Math.min(soonest, p.nextAt)
    if (soonest !== Infinity) this.schedule(Math.max(50, soonest - performance.now()))
  }

  private async send (entry: PendingRelease): Promise<void> {
    const { tables, release, log } = this.init
    const table = tables.get(entry.chainId)
    // a backup active again keeps its copy, and is handed the table that says so (a release persisted by a
    // run that crashed before the next round's hand-off); one no longer active gets a release (update() queued it)
    if (table == null || table.table.active.includes(entry.peerId) !== entry.handOff) {
      await this.clear(entry)
      if (table != null && !entry.handOff) this.handOff(entry.chainId, [entry.peerId])
      return
    }
    try {
      const outcome = await release.release(peerIdFromString(entry.peerId), table.signed)
      if (outcome.nothingHeld === true) {
        // a release sent again (its first answer lost) after the backup dropped its forward pointer: that one released it
        if (entry.handOff) log('table of %s not handed to %s: it holds no copy of the chain', entry.chainId, entry.peerId)
        else log('released %s on %s: it holds nothing of the chain (released before, its forward pointer since dropped)', entry.chainId, entry.peerId)
      } else if (entry.handOff) {
        log('handed table %d of %s to %s', outcome.epoch, entry.chainId, entry.peerId)
      } else {
        log('released %s on %s (epoch %d, deleted %s)', entry.chainId, entry.peerId, outcome.epoch, outcome.deleted)
      }
      await this.clear(entry)
    } catch (err) {
      const name = (err as Error).name
      // the backup heard of a newer table while this one was on its way (a round's gossip crossed it): told
      // with the newest, it lets go, unless that one counts on it again (then the next send clears the entry)
      const newest = tables.get(entry.chainId)
      if (name === 'StaleReleaseError' && newest != null && newest.table.epoch > table.table.epoch) {
        log('release of %s to %s crossed epoch %d: sending that one', entry.chainId, entry.peerId, newest.table.epoch)
        entry.nextAt = 0
        entry.attempts++
        return
      }
      if (entry.handOff && name === 'StaleReleaseError') {
        // the backup holds or is being offered a newer table: the round of that one hands it over
        log('table of %s not handed to %s: %s', entry.chainId, entry.peerId, (err as Error).message)
        await this.clear(entry)
        return
      }
      if (name === 'StaleReleaseError' || name === 'ReleaseRejectedError') {
        log.error('release of %s refused by %s: %s', entry.chainId, entry.peerId, (err as Error).message)
        await this.clear(entry)
        return
      }
      // ReleaseFailedError (the backup's disk, say), a timeout, a reset: later
      if (name === 'ReleaseFailedError') log('release of %s failed on %s, retrying: %s', entry.chainId, entry.peerId, (err as Error).message)
      entry.nextAt = performance.now() + Math.min(RETRY_MAX, (this.init.retryMin ?? RETRY_MIN) * 2 ** Math.min(entry.attempts, 10))
      entry.attempts++
    }
  }
}
