/**
 * Releases not yet acknowledged, persisted so they survive a restart, and the
 * loop that retries them with backoff until each obsolete backup answers.
 * A backup that became active again is dropped from the queue: it keeps its
 * copy. STALE and INVALID answers also end the retries (they never change);
 * ERROR (the backup failed to carry it out), a timeout or a reset do not.
 *
 * A backup this node is not connected to is not dialled: its release waits
 * until the backup connects again (peering connects to every member it
 * discovers), then goes at once. Obsolete backups are mostly vehicles that
 * drove on; dialling each of them every 30 s, forever, would be a storm of
 * failed dials that grows with every vehicle met.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from '@libp2p/interface'
import type { BinarySublevel } from '../storage/database.ts'
import type { BackupTableStore } from '../backup/index.ts'
import type { ReleaseService } from '../protocols/release/index.ts'

/** First retry of an unacknowledged release; doubles up to the maximum. */
const RETRY_MIN = 500
const RETRY_MAX = 30_000
/** classic-level honours `sync` (sublevels pass options to the root); abstract-level's types omit it. */
const SYNC_WRITE = { sync: true } as Record<string, unknown>
const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

/** `nextAt` is Infinity while the backup is not connected. */
interface PendingRelease { chainId: string, peerId: string, attempts: number, nextAt: number }

export interface ReleaseQueueInit {
  db: BinarySublevel
  tables: BackupTableStore
  release: Pick<ReleaseService, 'release'>
  log: Logger
  /** Whether this node is connected to the peer now. @default always */
  isConnected?: (peerId: string) => boolean
}

export class ReleaseQueue {
  private readonly init: ReleaseQueueInit
  private readonly pending = new Map<string, PendingRelease>()
  private timer?: ReturnType<typeof setTimeout>
  private sending = false
  private running = false

  constructor (init: ReleaseQueueInit) {
    this.init = init
  }

  /** Loads what an earlier run left unacknowledged and starts sending. */
  async start (): Promise<void> {
    for await (const [key] of this.init.db.iterator()) {
      const [chainId, peerId] = utf8d.decode(key).split('\n')
      this.pending.set(`${chainId}\n${peerId}`, { chainId, peerId, attempts: 0, nextAt: 0 })
    }
    this.running = true
    this.schedule(0)
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
  }

  /** Peers of this chain still to be told. */
  peers (chainId: string): string[] {
    return [...this.pending.values()].filter(p => p.chainId === chainId).map(p => p.peerId)
  }

  /** `offline`: waiting for the backup to connect again. */
  list (): Array<{ chainId: string, peerId: string, attempts: number, offline: boolean }> {
    return [...this.pending.values()].map(({ chainId, peerId, attempts, nextAt }) => ({ chainId, peerId, attempts, offline: nextAt === Infinity }))
  }

  /** A peer connected: its releases that waited for it go now. */
  peerConnected (peerId: string): void {
    let any = false
    for (const entry of this.pending.values()) {
      if (entry.peerId !== peerId || entry.nextAt !== Infinity) continue
      entry.nextAt = 0
      any = true
    }
    if (any) this.schedule(0)
  }

  /**
   * Records a new epoch: its obsolete backups are to be told (persisted,
   * before any release is sent), its active ones no longer.
   */
  async update (chainId: string, obsolete: string[], active: string[]): Promise<void> {
    const ops: Array<{ type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }> = []
    for (const peerId of active) {
      const key = `${chainId}\n${peerId}`
      if (this.pending.delete(key)) ops.push({ type: 'del', key: utf8.encode(key) })
    }
    for (const peerId of obsolete) {
      const key = `${chainId}\n${peerId}`
      if (!this.pending.has(key)) {
        this.pending.set(key, { chainId, peerId, attempts: 0, nextAt: 0 })
        ops.push({ type: 'put', key: utf8.encode(key), value: new Uint8Array(0) })
      }
    }
    if (ops.length > 0) await this.init.db.batch(ops, SYNC_WRITE)
    this.schedule(0)
  }

  private async clear (entry: PendingRelease): Promise<void> {
    const key = `${entry.chainId}\n${entry.peerId}`
    this.pending.delete(key)
    await this.init.db.del(utf8.encode(key))
  }

  private schedule (delay: number): void {
    if (!this.running) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.sendDue() }, delay)
  }

  private async sendDue (): Promise<void> {
    if (this.sending || !this.running) return
    this.sending = true
    try {
      const now = Date.now()
      const due = [...this.pending.values()].filter(p => p.nextAt <= now)
      const connected = this.init.isConnected ?? (() => true)
      await Promise.all(due.map(async (entry) => {
        if (connected(entry.peerId)) await this.send(entry)
        else entry.nextAt = Infinity
      }))
    } finally {
      this.sending = false
    }
    let soonest = Infinity
    for (const p of this.pending.values()) soonest = Math.min(soonest, p.nextAt)
    if (soonest !== Infinity) this.schedule(Math.max(50, soonest - Date.now()))
  }

  private async send (entry: PendingRelease): Promise<void> {
    const { tables, release, log } = this.init
    const table = tables.get(entry.chainId)
    if (table == null || table.table.active.includes(entry.peerId)) {
      await this.clear(entry)
      return
    }
    try {
      const outcome = await release.release(peerIdFromString(entry.peerId), table.signed)
      log('released %s on %s (epoch %d, deleted %s)', entry.chainId, entry.peerId, outcome.epoch, outcome.deleted)
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
      if (name === 'StaleReleaseError' || name === 'ReleaseRejectedError') {
        log.error('release of %s refused by %s: %s', entry.chainId, entry.peerId, (err as Error).message)
        await this.clear(entry)
        return
      }
      // ReleaseFailedError (the backup's disk, say), a timeout, a reset: later
      if (name === 'ReleaseFailedError') log('release of %s failed on %s, retrying: %s', entry.chainId, entry.peerId, (err as Error).message)
      entry.nextAt = Date.now() + Math.min(RETRY_MAX, RETRY_MIN * 2 ** Math.min(entry.attempts, 10))
      entry.attempts++
    }
  }
}
