/**
 * A replica's snapshots from its booth: the chain points they carry (kept as
 * they arrive, taken when the state machine hands the snapshot out), and
 * installing one — a member takes the point as its own, own and shared
 * chains fetch the chain up to it first. What an own chain's catch-up waits
 * on meanwhile (`stall`) is what its writes are told when they give up.
 */
import type { Paxos, SnapshotRequest } from '../consensus/index.ts'
import { bytesEqual } from '../chain/index.ts'
import type { SnapshotPoint } from '../protocols/paxos/index.ts'
import { OWN_FETCH_RETRY } from './chain-points.ts'
import type { FetchGate } from './chain-points.ts'
import { learnWriteIds } from './snapshot-write-ids.ts'
import type { LeaderReadWaiters } from './leader-reads.ts'
import type { ReplicaPosition } from './replica-position.ts'
import type { SnapshotStall } from './replica-reasons.ts'
import type { WriteLedger } from './write-ledger.ts'
import type { ReplicaDeps } from './replica-types.ts'

/** Snapshot points kept, newest last (see notePoint). */
const POINTS_KEPT = 64

type SnapshotDeps = Pick<ReplicaDeps, 'chainId' | 'kind' | 'self' | 'connected' | 'fetchTo' | 'fetchWriteIds' | 'store' | 'storage' | 'now' | 'memoryNow' | 'log'>

/** What installing a snapshot asks of its replica. */
export interface SnapshotHooks {
  /** The run of decided values being applied, if any: the chain store is moved only after it. */
  applying: () => Promise<void> | undefined
  saveMeta: (sync: boolean) => Promise<void>
}

export class SnapshotInstaller {
  /** A catch-up this replica waits on that no member can give: a snapshot of its own chain without a chain point (see phase1Reason). */
  stall?: SnapshotStall
  private readonly points = new Map<string, SnapshotPoint>()

  constructor (
    private readonly d: SnapshotDeps,
    private readonly paxos: Paxos,
    private readonly position: ReplicaPosition,
    private readonly writes: WriteLedger,
    private readonly reads: LeaderReadWaiters,
    /** own: no fetch of the chain from its holders before this time (a failed one waits OWN_FETCH_RETRY). */
    private readonly fetchGate: FetchGate,
    private readonly elapsed: () => number,
    private readonly hooks: SnapshotHooks
  ) {}

  /** The point a snapshot from `from` at `slot` carries, kept until the state machine hands that snapshot out. */
  notePoint (from: string, slot: number, point: SnapshotPoint): void {
    this.points.set(`${from}\n${slot}`, point)
    if (this.points.size > POINTS_KEPT) this.points.delete(this.points.keys().next().value as string)
  }

  /**
   * Installs a snapshot the state machine handed out: a member takes its
   * point as its own; own and shared chains first fetch the chain up to the
   * point the snapshot names, and move their position there.
   */
  async install (snapshot: SnapshotRequest): Promise<void> {
    if (this.d.kind === 'member') {
      // the point the vehicle's snapshot names is where we stand now: our own snapshots name it in turn
      const point = this.points.get(`${snapshot.from}\n${snapshot.slot}`)
      if (point != null) {
        this.position.compactPoint = { slot: snapshot.slot, height: point.height, hash: point.hash }
        await this.hooks.saveMeta(true)
      }
      this.paxos.installSnapshot(snapshot)
      return
    }
    await this.hooks.applying()
    if (snapshot.slot <= this.position.cursor.slot) {
      // the chain already holds it (a repeat: the leader re-sends a snapshot
      // until we catch up). Install it as it is — never at a later slot: the
      // state machine would take that slot for applied, and its block would
      // never be built (a replica skipping one decided block forks for good)
      this.position.pointAt(snapshot.slot)
      this.paxos.installSnapshot(snapshot)
      return
    }
    const point = this.points.get(`${snapshot.from}\n${snapshot.slot}`)
    if (point == null || this.d.fetchTo == null) {
      this.d.log('%s: snapshot at slot %d from %s without a chain point: waiting for another', this.d.chainId, snapshot.slot, snapshot.from)
      if (this.d.kind === 'own') this.stall = { slot: snapshot.slot, from: snapshot.from }
      return
    }
    if (this.d.kind === 'own' && this.elapsed() < this.fetchGate.notBefore) return
    // a write that gives up meanwhile says what it waited for
    if (this.d.kind === 'own') this.stall = { slot: snapshot.slot, from: snapshot.from, fetching: point.height }
    try {
      await this.d.fetchTo(snapshot.from, point.height, point.hash)
    } catch (err) {
      this.d.log('%s: fetching the snapshot from %s failed: %s', this.d.chainId, snapshot.from, (err as Error).message)
      if (this.d.kind === 'own') {
        // its holders hold another chain than ours: no retry helps, so the writes waiting are told at once
        const conflict = (err as Error).name === 'OwnChainConflictError' ? err as Error : undefined
        this.stall = { slot: snapshot.slot, from: snapshot.from, fetchFailed: (err as Error).message, conflict }
        this.fetchGate.notBefore = this.elapsed() + OWN_FETCH_RETRY
        if (conflict != null) this.writes.failWaiting(conflict)
      }
      return
    }
    const block = await this.d.store.getBlock(this.d.chainId, point.height)
    if (block == null || !bytesEqual(block.hash, point.hash)) {
      this.d.log('%s: snapshot from %s does not match the chain fetched', this.d.chainId, snapshot.from)
      if (this.d.kind === 'own') this.stall = { slot: snapshot.slot, from: snapshot.from, fetchFailed: `the chain fetched does not hold the block its booth named at height ${point.height}` }
      return
    }
    if (this.d.kind === 'shared') await learnWriteIds(this.d, this.writes, this.paxos.status().booth, snapshot.from, this.position.cursor.height + 1, point.height)
    this.position.cursor = { slot: snapshot.slot, height: point.height, hash: point.hash }
    this.position.history = [this.position.cursor]
    this.stall = undefined
    // Our log now starts at the snapshot's slot, so a catch-up we answer from
    // below it gets a snapshot at that slot: it must carry this point (wrapMessage),
    // or the asker cannot fetch the chain and waits for good. Without it a
    // vehicle that joined by snapshot and then led the shared chain left every
    // later newcomer without the chain until it compacted itself (soak).
    this.position.pointAt(snapshot.slot)
    await this.hooks.saveMeta(true)
    this.paxos.installSnapshot(snapshot)
    this.position.storedSlot = this.position.cursor.slot
    this.reads.release(this.position.cursor.slot)
  }
}
