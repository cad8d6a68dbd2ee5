/**
 * Where our chain stood at a slot, and the proof that a booth member's
 * chain point names another history than ours.
 *
 * A member of our own chain's booth keeps no blocks of it; its promise names
 * the newest point it knows (ChainMessage.chainAt: one we named to it, or the
 * one its log is compacted at). The values a promise shows may not tell a
 * lost history: a member compacted at the slot compared holds none there (a
 * CI run: both members of a vehicle that lost its database and wrote alone
 * had compacted at exactly its commit on their restart, so their promises
 * showed nothing, counted, and its put committed on the block it wrote
 * alone), and two histories may hold the same no-op or booth there. So a
 * point where our chain did not stand makes the promise uncounted, and a
 * proof is sought from our own data. A point that is not proven stops
 * nothing: a member cannot halt its vehicle's chain by naming a point it
 * made up.
 */
import { bytesEqual } from '../chain/index.ts'
import type { ChainPoint } from '../protocols/paxos/index.ts'
import type { Decided } from '../consensus/index.ts'
import { blockOfBatch } from './batch.ts'
import type { Cursor, ReplicaDeps } from './replica-types.ts'

/**
 * A vehicle that failed to fetch its own chain from its holders tries again
 * after this long (ms), not at every snapshot or promise its booth answers
 * meanwhile.
 */
export const OWN_FETCH_RETRY = 2_000

/** When the next fetch of our chain from its holders may start: shared by point proofs and snapshots. */
export interface FetchGate {
  /** On the replica's monotonic clock. */
  notBefore: number
}

/** Where the chain stood at `slot` by `history` (cursors after DATA slots, oldest first): the last at or below it; undefined when history starts above it. */
export function positionAt (history: Cursor[], slot: number): Cursor | undefined {
  let at: Cursor | undefined
  for (const c of history) {
    if (c.slot > slot) break
    at = c
  }
  return at
}

/**
 * Whether `point` is not where our chain stood at its slot. Told only for a
 * slot we applied (up to `applied`): where we still know our position there
 * (`history`), by it; below that (after a restart we know our tip's), by
 * height alone, as a chain's height never falls from slot to slot.
 */
export function pointDiverges (point: ChainPoint, applied: number, history: Cursor[]): boolean {
  if (point.slot > applied) return false
  const ours = positionAt(history, point.slot)
  if (ours == null) return history.length > 0 && point.height > history[0].height
  return ours.height !== point.height || !bytesEqual(ours.hash, point.hash)
}

type ProofDeps = Pick<ReplicaDeps, 'chainId' | 'log' | 'store' | 'fetchTo' | 'tableConflict'>

/** The proofs our own chain's replica seeks, one at a time, run by its drive loop. */
export class PointProof {
  /** The proof found: the error the replica stops with. */
  proven?: Error
  private queued?: { from: string, point: ChainPoint }

  constructor (private readonly d: ProofDeps, private readonly gate: FetchGate, private readonly elapsed: () => number) {}

  /** A proof is queued for the drive loop to run. */
  get due (): boolean {
    return this.queued != null
  }

  /**
   * Queues a proof that the point `from` named is another history's, unless
   * one is queued already, or the last fetch was less than OWN_FETCH_RETRY
   * ago (a member repeats its promise at every prepare). True when queued:
   * the drive loop then runs it.
   */
  ask (from: string, point: ChainPoint): boolean {
    if (this.queued != null || this.d.fetchTo == null || this.elapsed() < this.gate.notBefore) return false
    this.d.log.error('%s: %s says the chain stood at height %d at slot %d, not where this node\'s chain did (a lost database?): its promise is not counted',
      this.d.chainId, from, point.height, point.slot)
    this.queued = { from, point }
    return true
  }

  /**
   * Runs the queued proof, if any: past our tip, a holder of our chain whose
   * next block does not follow our tip (fetchTo throws
   * OwnChainConflictError, as for a snapshot); else a backup table of ours
   * naming a block where our chain holds another (tableConflict). Proven:
   * the member and slot to report to the state machine as a Divergence (the
   * replica then stops, nothing more written beside that chain), and
   * `proven` set. Otherwise the promise stays uncounted, and a later one may
   * ask again after OWN_FETCH_RETRY.
   */
  async run (): Promise<{ from: string, slot: number } | undefined> {
    const queued = this.queued
    if (queued == null) return undefined
    const { from, point } = queued
    try {
      if ((await this.d.store.tip(this.d.chainId)).height < point.height) await this.d.fetchTo?.(from, point.height, point.hash, { proof: true })
      const tables = await this.d.tableConflict?.()
      if (tables == null) {
        this.d.log('%s: nothing proves the point %s named (height %d at slot %d) another chain\'s: its promise stays uncounted', this.d.chainId, from, point.height, point.slot)
        return undefined
      }
      this.proven = tables
    } catch (err) {
      if ((err as Error).name !== 'OwnChainConflictError') {
        this.d.log('%s: checking the point %s named against the chain\'s holders failed: %s', this.d.chainId, from, (err as Error).message)
        return undefined
      }
      this.proven = err as Error
    } finally {
      this.queued = undefined
      this.gate.notBefore = this.elapsed() + OWN_FETCH_RETRY
    }
    return { from, slot: point.slot }
  }
}

/**
 * Where the chain stood after `decided` (values from the slot after
 * `point` on, as far as they run in a row): each batch makes the same block
 * on every replica, and one that does not decode makes none on any.
 */
export function rollForward (decided: Decided[], point: ChainPoint, chainId: string): ChainPoint {
  let at: ChainPoint = point
  for (const d of decided) {
    if (d.slot !== at.slot + 1) break
    if (d.value.kind !== 'data') {
      at = { ...at, slot: d.slot }
      continue
    }
    const block = blockOfBatch(d.value.data, { chainId, height: at.height, hash: at.hash }, d.booth)
    at = block == null ? { ...at, slot: d.slot } : { slot: d.slot, height: block.header.height, hash: block.hash }
  }
  return at
}
