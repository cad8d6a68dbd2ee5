/**
 * What keeps a vehicle's own chain from going two ways when its database
 * was lost: the booth deciding it is recorded outside the database before
 * anything leaves (OwnChainMarker), a member's chain point that is not where
 * our chain stood leaves its promise uncounted until proven (PointProof,
 * chain-points.ts), and a divergence the booth decided becomes the error the
 * replica stops with. Shared chains only log what diverged.
 */
import type { Divergence } from '../consensus/index.ts'
import type { ChainPoint } from '../protocols/paxos/index.ts'
import { sameBooth } from './booth-select.ts'
import { OWN_CONFLICT_RECOVERY, OwnChainConflictError } from './consensus-errors.ts'
import { PointProof, pointDiverges } from './chain-points.ts'
import type { FetchGate } from './chain-points.ts'
import { findStartPoint } from './replica-start.ts'
import type { ReplicaPosition } from './replica-position.ts'
import type { ReplicaDeps } from './replica-types.ts'

export class OwnChainGuard {
  /** own: proofs that a member's chain point is another history's than ours (divergesAt). */
  readonly proof: PointProof
  /** own: the booth the consensus record outside the database names (noteBooth). */
  private boothRecorded?: string[]

  constructor (
    private readonly d: ReplicaDeps,
    private readonly position: ReplicaPosition,
    fetchGate: FetchGate,
    elapsed: () => number,
    /** own: the block before consensus decided its first one here, once known (consensusStart, or the chain). */
    private startPoint: { height: number, hash: Uint8Array } | undefined
  ) {
    this.proof = new PointProof(d, fetchGate, elapsed)
    this.boothRecorded = d.consensusRecord?.get()?.booth
  }

  /**
   * Records the booth that decides our chain now outside the database
   * (OwnChainMarker), before anything of this Ready leaves: a booth change
   * is decided before any slot it governs is proposed, so the record names
   * a booth before it is sent a value to accept. A booth of ourselves alone
   * (the genesis) is not recorded: what it decided is in our database only.
   */
  async noteBooth (booths: Array<{ members: string[] }>): Promise<void> {
    const record = this.d.consensusRecord
    const booth = booths[booths.length - 1]?.members
    if (record == null || booth == null || (booth.length === 1 && booth[0] === this.d.self)) return
    if (this.boothRecorded != null && sameBooth(this.boothRecorded, booth)) return
    this.startPoint ??= await findStartPoint(this.d, this.position.cursor)
    await record.note({ start: this.startPoint, booth })
    this.boothRecorded = [...booth]
  }

  /** Our own chain: whether a member's chain point is not where our chain stood at its slot (chain-points.ts). */
  divergesAt (point: ChainPoint): boolean {
    return this.d.kind === 'own' && pointDiverges(point, this.position.cursor.slot, this.position.history)
  }

  /**
   * Booth members decided other values of this chain than we did at slots
   * both decided (Divergence): one side's history was lost. The state
   * machine took none of their values. On our own chain it is fatal: most
   * likely we lost our database (own-chain.json too, or it would have said
   * so) while none of them was reachable, and wrote alone from slot 1. This
   * replica stops, so nothing more is acknowledged beside the chain they
   * decided (it is on our backups), until the operator's recovery (also
   * when a member's chain point was proven another chain's:
   * PointProof). On the shared chain it is logged, their promises
   * not counted. Returns the error our own chain's replica stops with.
   */
  divergenceError (found: Divergence[]): Error | undefined {
    // a point its holders proved (PointProof) was logged there
    if (this.proof.proven == null) {
      for (const d of found) {
        this.d.log.error('%s: %s decided another value than this node at slot %d (a lost database?): its promise is not counted', this.d.chainId, d.peer, d.slot)
      }
    }
    // our own chain's first divergence is fatal (one proposer), and the replica stops on it: these name them all
    if (this.d.kind !== 'own' || !found.some(d => d.fatal)) return undefined
    const peers = [...new Set(found.map(d => d.peer))].join(', ')
    const slot = Math.min(...found.map(d => d.slot))
    return this.proof.proven ?? new OwnChainConflictError(`${this.d.chainId}'s chain went another way than the one its booth decided: ${peers} decided another value at slot ${slot} ` +
      'than this vehicle did (its database lost while none of them was reachable, and it wrote alone?). Nothing of this write was written, ' +
      `and its booth and backups keep what they hold. ${OWN_CONFLICT_RECOVERY}`)
  }
}
