/**
 * Releases not yet acknowledged, persisted so they survive a restart, and the
 * loop that retries them with backoff until each obsolete backup answers.
 * A backup that became active again is dropped from the queue: it keeps its
 * copy. STALE and INVALID answers also end the retries (they never change).
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

interface PendingRelease { chainId: string, peerId: string, attempts: number, nextAt: number }

export interface ReleaseQueueInit {
  db: BinarySublevel
  tables: BackupTableStore
  release: ReleaseService
  log: Logger
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

  list (): Array<{ chainId: string, peerId: string, attempts: number }> {
    return [...this.pending.values()].map(({ chainId, peerId, attempts }) => ({ chainId, peerId, attempts }))
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
      await Promise.all(due.map(async (entry) => { await this.send(entry) }))
    } finally {
      this.sending = false
    }
    if (this.pending.size > 0) {
      const soonest = Math.min(...[...this.pending.values()].map(p => p.nextAt))
      this.schedule(Math.max(50, soonest - Date.now()))
    }
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
      if (name === 'StaleReleaseError' || name === 'ReleaseRejectedError') {
        log.error('release of %s refused by %s: %s', entry.chainId, entry.peerId, (err as Error).message)
        await this.clear(entry)
        return
      }
      entry.attempts++
      entry.nextAt = Date.now() + Math.min(RETRY_MAX, RETRY_MIN * 2 ** Math.min(entry.attempts, 10))
    }
  }
}
