/**
 * What a write or read that waited on a chain's replica in vain is told:
 * why the replica does not lead yet (its phase 1), or why a confirmed
 * leader read was not applied in time, or why it stopped. Words only; the
 * replica decides when they are said.
 */
import { ConsensusStoppedError } from './consensus-errors.ts'

/** A catch-up the replica waits on that no member can give: a snapshot of its own chain, and how fetching the chain it names went. */
export interface SnapshotStall {
  slot: number
  from: string
  fetchFailed?: string
  fetching?: number
  conflict?: Error
}

/** Why the replica does not lead yet: no majority answered, or its booth decided past what this node holds (`stall`). */
export function phase1Reason (stall: SnapshotStall | undefined): string {
  if (stall == null) return 'phase 1 has not completed (no majority of the booth answered)'
  if (stall.fetching != null) {
    return `phase 1 has not completed: its booth decided this chain up to slot ${stall.slot}, past what this node holds, ` +
      `and the chain is being fetched from its holders up to height ${stall.fetching}`
  }
  if (stall.fetchFailed != null) {
    return `phase 1 has not completed: its booth decided this chain up to slot ${stall.slot}, past what this node holds ` +
      `(was the data dir restored from an older copy, or its database lost?), and fetching the chain from its holders failed: ${stall.fetchFailed}`
  }
  // the booth answers: it is ahead, and hands over only what it keeps (booth members keep no chain)
  return `phase 1 has not completed: its booth decided this chain up to slot ${stall.slot}, past what this node holds, and ${stall.from} ` +
    'cannot hand the chain over (was the data dir restored from an older copy, or its database lost?); the chain\'s backups hold it'
}

/**
 * Why a shared-chain write this node took as the leader was never proposed:
 * it stepped down first (it heard no majority of its booth for a window, or
 * a candidate took over), and the write's deadline came before the pump
 * could hand it back (ProposalPump.redirectBuffered). Phase 1 had completed:
 * saying it had not sent an operator looking for an election that never ran
 * (a probe, 2026-12-03).
 */
export function lostLeadReason (leader: string | undefined, quorum: boolean): string {
  const now = leader != null ? `${leader} leads it now` : 'no leader is known yet'
  return `this node stopped leading the chain before proposing it, and ${now}${quorum ? '' : ' (no majority of its booth is connected)'}`
}

/**
 * Why a confirmed read's index was not applied in time. An elected leader's
 * index covers the writes proposed before the read (one may be chosen
 * already): with no majority to decide them, the read waits for them, and
 * "the chain store did not apply" sent a probe's operator looking at the
 * disk. A fixed proposer's index leaves them out (paxos.ts readIndex), so
 * its caller passes `undecided` 0.
 */
export function unappliedReason (what: string, undecided: number, quorum: boolean): string {
  if (undecided === 0) return `${what}: confirmed, but the chain store did not apply the read index in time`
  const one = undecided === 1
  return `${what}: ${undecided} ${one ? 'write' : 'writes'} proposed before it ${one ? 'is' : 'are'} not decided yet (${quorum ? 'its booth is slow to answer' : 'no majority of its booth is connected'}), ` +
    `and the read must see ${one ? 'it' : 'them'} if chosen: try again, or read with consistency local or quorum`
}

/**
 * Why writes and reads fail once a save failed or the chain diverged, and
 * what brings the chain back. `proposed`: the write was out and may still
 * commit; true, or what a retry of it does (retryAdvice), said after that.
 */
export function stoppedBy (chainId: string, err: Error, proposed: boolean | string = false): Error {
  // its booth decided another chain (onDiverged): a write not proposed was not written, and says why
  if (err.name === 'OwnChainConflictError' && proposed === false) return err
  const outcome = proposed === false ? '' : `; the write was proposed and may still commit, whole or not at all${typeof proposed === 'string' ? ` ${proposed}` : ''}`
  if (err.name === 'ChainDivergedError') return new ConsensusStoppedError(`consensus of ${chainId} stopped: ${err.message}${outcome}`, proposed !== false)
  return new ConsensusStoppedError(`consensus of ${chainId} failed: ${err.message}${outcome} (restart the node once that is fixed: nothing acknowledged was lost)`, proposed !== false)
}
