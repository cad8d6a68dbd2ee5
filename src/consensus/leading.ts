/**
 * Keeping a leadership going: it follows the log as slots are decided,
 * extends phase 1 to a booth that has not promised its ballot (or campaigns
 * again when that booth holds values of another leader), and heartbeats.
 */
import { hasMajority } from './booth.ts'
import { announce, audience } from './announce.ts'
import { startCampaign } from './candidacy.ts'
import type { Leadership } from './proposer.ts'
import type { NodeState } from './node-state.ts'
import type { Message } from './types.ts'

/** Lets the leadership catch up with the log; steps down if a higher ballot decided one of our slots. */
export function settleLeader (n: NodeState): void {
  if (n.leadership != null && !n.leadership.settle(n.ctx)) {
    n.stepDown()
    return
  }
  phase1IfNeeded(n)
}

/**
 * The leadership reached a slot whose booth did not promise its ballot
 * (see Leadership.pump): campaign again, with a new ballot, so that phase
 * 1 asks that booth too and recovers whatever its members accepted. The
 * proposals queued here are reported dropped (the driver proposes them
 * again, or forwards them); those in flight are recovered by phase 1.
 */
export function phase1IfNeeded (n: NodeState): void {
  const lead = n.leadership
  if (lead?.needsPhase1 !== true) {
    return
  }
  lead.needsPhase1 = false
  if (lead.extending == null) {
    // Phase 1 for the new members only, at this same ballot, while this
    // node goes on leading (heartbeats keep the booth, and a member that
    // just joined, from starting an election). The slots above
    // nextSlot are unproposed by this leadership; if a member reports
    // anything there, the full recovery of a new campaign takes over.
    lead.extending = lead.nextSlot
    lead.askExtension(n.ctx)
  }
}

export function onExtensionPromise (n: NodeState, lead: Leadership, from: number, msg: Extract<Message, { type: 'promise' }>): void {
  if (msg.commit >= from || msg.entries.some(e => e.slot >= from)) {
    // another leader got something accepted (or decided) where this one
    // has not proposed yet: recover it the full way
    rephase(n, lead)
    return
  }
  lead.promisers.add(msg.from)
  if (hasMajority(n.log.boothFor(from), lead.promisers)) {
    lead.extending = undefined
  }
  settleLeader(n)
}

/** Campaigns again with a new ballot (full phase 1 and recovery), taking the queued client proposals along. */
function rephase (n: NodeState, lead: Leadership): void {
  // learners hear what this leadership decided before it ends
  if (n.log.commit > lead.announced) {
    announce(n.log, n.s, lead, n.ctx.send)
  }
  const carried = lead.takeClientValues()
  startCampaign(n)
  n.carried = carried
}

export function heartbeat (n: NodeState): void {
  const lead = n.leadership
  if (lead == null) {
    return
  }
  n.heartbeatCommit = n.log.commit
  const read = n.reads.waiting()
  for (const to of audience(n.log, n.s)) {
    n.send({ type: 'heartbeat', from: n.s.id, to, ballot: lead.ballot, commit: n.log.commit, ...(read > 0 ? { read } : {}) })
  }
}
