/**
 * Booth-member replicas over a vehicle's life on the road: it sits in the
 * booths of many vehicles it meets and never sees again, so their replicas
 * must not pile up (in memory, ticking, and on disk).
 *
 * - a member replica whose proposer has been silent for `idle` ms is retired
 *   (ChainReplica.retire: its decided values dropped, the replica closed,
 *   its storage released);
 * - at `limit` member replicas, the one silent longest (at least
 *   MEMBER_EVICT_SILENCE) gives way to a new vehicle's booth;
 * - after a start, the member state a previous run left is retired the same
 *   way, one chain at a time.
 *
 * A retired chain's promise and undecided entries stay on disk; its
 * proposer's next message reopens the replica from there, once any
 * retirement of it in progress is over (whenRetired).
 */
import type { Logger } from '@libp2p/interface'
import type { LevelPaxosStore } from '../storage/paxos-store.ts'
import { ChainReplica } from './paxos-replica.ts'
import { MEMBER_EVICT_SILENCE, SHARED_CHAIN } from './paxos-constants.ts'

export interface MemberRetirementInit {
  self: string
  /** The driver's open replicas (every kind) and those being opened: members are retired out of them. */
  replicas: Map<string, ChainReplica>
  opening: Map<string, Promise<ChainReplica>>
  store: LevelPaxosStore
  /** Opens a member replica that nothing else uses (for retiring what a previous run left). */
  openMember: (chainId: string) => Promise<ChainReplica>
  /** Member replicas at once. */
  limit: number
  /** ms of silence from its proposer after which a member replica is retired. */
  idle: number
  now: () => number
  running: () => boolean
  log: Logger
}

export class MemberRetirement {
  private readonly c: MemberRetirementInit
  /** When each other vehicle's chain last heard from its proposer (ms). */
  private readonly heard = new Map<string, number>()
  /** Retirements in progress: opening the chain again waits for them. */
  private readonly retiring = new Map<string, Promise<void>>()

  constructor (init: MemberRetirementInit) {
    this.c = init
  }

  /** The chain's proposer spoke to us. */
  heardFrom (chainId: string): void {
    this.heard.set(chainId, this.c.now())
  }

  /** The chain's replica could not be opened: nothing to retire. */
  forget (chainId: string): void {
    this.heard.delete(chainId)
  }

  /** Resolves once a retirement of the chain in progress is over. */
  whenRetired (chainId: string): Promise<void> | undefined {
    return this.retiring.get(chainId)
  }

  /** Whether another vehicle's booth may take us: below the limit, or once the quietest member replica gives way. */
  room (): boolean {
    if (this.count() < this.c.limit) return true
    let quietest: string | undefined
    for (const [id, r] of this.c.replicas) {
      if (r.kind === 'member' && (quietest == null || this.lastHeard(id) < this.lastHeard(quietest))) quietest = id
    }
    // a live booth's proposer heartbeats every 100 ms: one silent this long left us (or the road)
    const silent = quietest == null ? 0 : this.c.now() - this.lastHeard(quietest)
    if (quietest == null || silent < MEMBER_EVICT_SILENCE) return false
    this.c.log('%s gives way to a new booth: its proposer has been silent for %d ms', quietest, silent)
    this.retire(quietest)
    return true
  }

  /** Retires every member replica whose proposer has been silent for `idle`. */
  retireQuiet (): void {
    const now = this.c.now()
    for (const [id, r] of this.c.replicas) {
      if (r.kind === 'member' && now - this.lastHeard(id) >= this.c.idle) this.retire(id)
    }
  }

  /**
   * Member state a previous run left (it stopped or crashed while in
   * booths): retired as if each proposer went silent, one chain at a time,
   * unless its proposer speaks first.
   */
  async retireLeftovers (): Promise<void> {
    let chains: string[]
    try {
      chains = await this.c.store.chains()
    } catch (err) {
      this.c.log.error('listing consensus state: %e', err)
      return
    }
    for (const chainId of chains) {
      if (!this.c.running()) return
      if (chainId === this.c.self || chainId === SHARED_CHAIN || this.c.replicas.has(chainId) || this.c.opening.has(chainId) || this.retiring.has(chainId)) continue
      await this.track(chainId, async () => {
        try {
          if (await ChainReplica.retirable(this.c.store.storage(chainId)) && this.c.running()) await (await this.c.openMember(chainId)).retire()
        } finally {
          await this.c.store.release(chainId)
        }
      })
    }
  }

  /** Resolves once every retirement in progress is over (the node stops). */
  async settle (): Promise<void> {
    await Promise.allSettled([...this.retiring.values()])
    this.heard.clear()
  }

  private lastHeard (chainId: string): number {
    return this.heard.get(chainId) ?? 0
  }

  private count (): number {
    let n = 0
    for (const id of [...this.c.replicas.keys(), ...this.c.opening.keys()]) {
      if (id !== this.c.self && id !== SHARED_CHAIN) n++
    }
    return n
  }

  private retire (chainId: string): void {
    const r = this.c.replicas.get(chainId)
    if (r == null || r.kind !== 'member') return
    this.c.replicas.delete(chainId)
    this.heard.delete(chainId)
    void this.track(chainId, async () => {
      try {
        await r.retire()
      } finally {
        // closed even when a save failed on the way: its value log's open file is let go too
        await this.c.store.release(chainId)
      }
    })
  }

  private async track (chainId: string, retirement: () => Promise<void>): Promise<void> {
    const done: Promise<void> = retirement()
      .catch((err: Error) => { this.c.log.error('retiring consensus of %s: %e', chainId, err) })
      .finally(() => { if (this.retiring.get(chainId) === done) this.retiring.delete(chainId) })
    this.retiring.set(chainId, done)
    await done
  }
}
