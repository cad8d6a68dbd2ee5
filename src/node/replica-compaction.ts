/**
 * When a replica's log forgets its applied slots, and at which point. Own
 * and shared chains compact behind their cursor once the chain store holds
 * the slots durably; a member, which keeps no blocks, compacts only where
 * it can name where the vehicle's chain stood (and keeps what the vehicle's
 * backups do not hold: MemberHold), and at its retirement takes the point
 * its vehicle named past a gap it was never taught.
 */
import type { Paxos } from '../consensus/index.ts'
import type { ChainPoint } from '../protocols/paxos/index.ts'
import { positionAt, rollForward } from './chain-points.ts'
import { PAXOS_TIMING } from './paxos-constants.ts'
import type { HeldValues } from './held-values.ts'
import type { MemberHold } from './member-hold.ts'
import type { ReplicaPosition } from './replica-position.ts'
import type { ReplicaDeps } from './replica-types.ts'

type CompactionDeps = Pick<ReplicaDeps, 'chainId' | 'kind' | 'store' | 'log'>

/** What compacting asks of its replica. */
export interface CompactionHooks {
  /** Writes the meta (with the compaction point the position holds). */
  saveMeta: (sync: boolean) => Promise<void>
}

export class ReplicaCompaction {
  constructor (
    private readonly d: CompactionDeps,
    private readonly paxos: Paxos,
    private readonly position: ReplicaPosition,
    /** Bytes of the decided values the log holds in memory until compacted. */
    private readonly heldValues: HeldValues,
    /** member: what it keeps for its vehicle, and the points it may compact at. */
    private readonly hold: MemberHold,
    private readonly hooks: CompactionHooks
  ) {}

  /** Whether the values in slots (compacted, target] reach `bytes`: compacting to `target` is due whatever their count. */
  private dueByBytes (compacted: number, target: number, bytes: number): boolean {
    return target > compacted && this.heldValues.bytes >= bytes && this.heldValues.between(compacted, target) >= bytes
  }

  /**
   * Forgets applied slots once enough piled up, by count or by the bytes of
   * their values (HeldValues). own/shared: first the chain
   * store's flush (blocks are applied without sync) and a synced meta write,
   * so the slots dropped are durably in the chain store.
   */
  async maybeCompact (): Promise<void> {
    const st = this.paxos.status()
    this.heldValues.dropTo(st.compacted)
    if (this.d.kind === 'member') {
      const wanted = this.heldValues.keepWithin(st.applied, PAXOS_TIMING.memberCompactKeepBytes, st.applied - PAXOS_TIMING.memberCompactKeep)
      if (st.applied - st.compacted > PAXOS_TIMING.memberCompactEvery || this.dueByBytes(st.compacted, wanted, PAXOS_TIMING.memberCompactBytes)) await this.compactMember(wanted)
      return
    }
    const applied = Math.min(this.position.cursor.slot, st.applied)
    // big values: what is kept for laggards is bounded in bytes too (past it they get a snapshot)
    const target = this.heldValues.keepWithin(applied, PAXOS_TIMING.compactKeepBytes, applied - PAXOS_TIMING.compactKeep)
    if (target - st.compacted < PAXOS_TIMING.compactEvery && !this.dueByBytes(st.compacted, target, PAXOS_TIMING.compactBytes)) return
    const at = positionAt(this.position.history, target)
    if (at == null) return
    this.position.compactPoint = { slot: target, height: at.height, hash: at.hash }
    await this.d.store.flush(this.d.chainId)
    await this.hooks.saveMeta(true)
    this.paxos.compact(target)
  }

  /**
   * Compacts a member's log up to `wanted` at most (as far as what the
   * vehicle's backups hold allows, MemberHold.limit), at a point where it can
   * say where the chain stood (saved first: a snapshot we answer after a
   * restart must still name it). It starts from the newest point the vehicle
   * named there, or the one it compacted at last, and rolls it forward
   * through the decided values it holds: each batch makes the same block on
   * every replica.
   */
  async compactMember (wanted: number): Promise<void> {
    const compacted = this.paxos.status().compacted
    const { slot: upTo, gaveUp } = this.hold.limit(wanted, compacted, this.position.compactPoint, this.heldValues)
    if (gaveUp != null) this.d.log('%s: its log holds %d slots (%d bytes of values) above what the vehicle\'s backups hold (height %d): compacted past it', this.d.chainId, gaveUp.slots, gaveUp.bytes, gaveUp.held)
    if (upTo <= compacted) return
    const from = this.hold.compactFrom(compacted, upTo, this.position.compactPoint)
    if (from === 'wait') return
    if (from === 'unnamed') {
      this.paxos.compact(upTo)
      return
    }
    const at = rollForward(this.paxos.decided(from.slot + 1, upTo - from.slot), from, this.d.chainId)
    if (at.slot <= compacted) return
    await this.compactPointAt(at)
    this.paxos.compact(at.slot)
  }

  /** A member's log is about to leave everything up to `at`: where the chain stood there, durably first (our snapshots name it). */
  private async compactPointAt (at: ChainPoint): Promise<void> {
    this.position.compactPoint = { slot: at.slot, height: at.height, hash: at.hash }
    this.hold.compactedTo(at.slot)
    await this.hooks.saveMeta(true)
  }

  /**
   * A member that came into the booth after the chain began asks its
   * proposer for the slots decided before it (a catch-up). A proposer gone
   * before it answered leaves what the member accepted since above its
   * commit, where compaction never reaches: it would keep those values for
   * good (a CI run: a big value's segment outlived the retirement). The
   * vehicle named where its chain stood at slots it had applied, so every
   * slot up to one of them was decided: the member takes the newest such
   * point (as far as the vehicle's backups hold the chain, as compaction
   * would) as the snapshot its proposer would have sent.
   */
  async skipUnfilledGap (): Promise<boolean> {
    const st = this.paxos.status()
    const named = this.hold.newestUpTo(Number.MAX_SAFE_INTEGER, undefined)
    if (named == null || named.slot <= st.commit) return false
    const { slot: upTo } = this.hold.limit(named.slot, st.commit, this.position.compactPoint, this.heldValues)
    const at = this.hold.compactFrom(st.commit, upTo, this.position.compactPoint)
    if (typeof at === 'string' || at.slot <= st.commit) return false
    this.d.log('%s: its proposer went silent before teaching it the slots after %d: retired from the point it named at slot %d', this.d.chainId, st.commit, at.slot)
    await this.compactPointAt(at)
    this.paxos.installSnapshot({ from: this.d.chainId, slot: at.slot, booths: [] })
    return true
  }
}
