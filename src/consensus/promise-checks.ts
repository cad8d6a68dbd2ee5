/**
 * What a promise tells about this node's own history, beyond the votes it
 * carries: that the two histories went apart (a divergence), or that this
 * node cast votes it no longer holds (its data dir is older than them).
 */
import { valuesEqual } from './values.ts'
import type { PaxosLog } from './log.ts'
import type { Ballot, PromiseMessage } from './types.ts'

/** The first slot where the promise names a value decided other than the one decided in `log`, if any. */
export function divergedAt (log: PaxosLog, msg: PromiseMessage): number | undefined {
  for (const e of msg.entries) {
    if (!e.decided) continue
    const mine = log.get(e.slot)
    if (mine?.decided === true && !valuesEqual(mine.value, e.value)) return e.slot
  }
  return undefined
}

/**
 * Whether a promise to `campaign` (a ballot of `self`, the chain's only
 * proposer) shows votes `self` cast and no longer holds (its data dir was
 * restored from an older copy). A vehicle alone proposes on its chain and
 * takes its own vote on a value before any accept of it leaves (messages to
 * itself are handled within the same step, and the driver persists before
 * it sends). So a slot a member saw decided, or accepted at a ballot of
 * ours, past the last slot we hold, or an acceptance at a round of ours we
 * have not used yet, is one whose vote we lost.
 */
export function showsForgottenVotes (log: PaxosLog, self: string, p: PromiseMessage, campaign: Ballot): boolean {
  const last = log.last()
  if (p.commit > last) return true
  return p.entries.some(e => !e.decided && e.ballot.proposer === self && (e.slot > last || e.ballot.round >= campaign.round))
}
