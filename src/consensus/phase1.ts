/**
 * Phase 1, both sides: an acceptor answering a prepare, and a candidate
 * counting promises and refusals (each promise checked for a history that
 * went another way, or for votes this node lost) until it may lead, then
 * taking the leadership up.
 */
import { ballotEquals, compareBallots, copyBallot } from './ballot.ts'
import { outranks } from './election.ts'
import { Leadership } from './proposer.ts'
import { QuorumCheck } from './check-quorum.ts'
import { divergedAt, showsForgottenVotes } from './promise-checks.ts'
import { QUORUM_CHECK_TIMEOUTS } from './node-state.ts'
import { isAcceptor } from './senders.ts'
import { sticksToLeaderAgainst, noteRound, sendPrepares } from './candidacy.ts'
import { settleLeader, onExtensionPromise, heartbeat } from './leading.ts'
import type { Campaign } from './proposer.ts'
import type { NodeState } from './node-state.ts'
import type { Message, PromiseMessage } from './types.ts'

export function onPrepare (n: NodeState, msg: Extract<Message, { type: 'prepare' }>): void {
  const own = n.ownBallot()
  if (own != null && ballotEquals(own, msg.ballot)) {
    n.send(n.acceptor.onPrepare(msg))
    return
  }
  const held = n.commitProofs.held
  // refusing a promise is always safe
  if (sticksToLeaderAgainst(n, msg.from, msg.takeover === true)) {
    return
  }
  const reply = n.acceptor.onPrepare(msg)
  if (reply.type === 'promise' && held != null) reply.commitProof = { ...held }
  n.send(reply)
  if (reply.type !== 'promise') {
    return
  }
  if (own != null && compareBallots(msg.ballot, own) > 0) {
    n.deposedBy(msg.from)
    n.stepDown()
  }
  // defer to a live candidate that outranks us (Bully); a lower one we let
  // time out against our own campaign
  if (n.s.mode === 'fixed' || outranks(n.s.candidates, msg.from, n.s.id)) {
    n.electionElapsed = 0
    n.followedTicks = 0
  }
}

export function onPromise (n: NodeState, msg: Extract<Message, { type: 'promise' }>): void {
  const lead = n.leadership
  if (n.role === 'leader' && lead?.extending != null && ballotEquals(msg.ballot, lead.ballot)) {
    if (!n.log.boothFor(lead.extending).includes(msg.from)) return
    if (divergesFrom(n, msg)) return
    n.quorumCheck?.heard(msg.from)
    onExtensionPromise(n, lead, lead.extending, msg)
    return
  }
  const c = n.campaignState
  // a promise answers our prepare: from a peer we did not ask it is forged (its decided entries would be believed)
  if (n.role !== 'candidate' || c == null || !ballotEquals(msg.ballot, c.ballot) || !c.asked.has(msg.from)) {
    return
  }
  if (divergesFrom(n, msg, c)) return
  if (msg.from !== n.s.id && n.alone() && showsForgottenVotes(n.log, n.s.id, msg, c.ballot)) forgetOwnVotes(n)
  // our own, after our votes were lost: it vouches for nothing we voted before (config.forgotVotes)
  if (msg.from === n.s.id && n.s.forgotVotes) {
    return
  }
  if (!c.promises.has(msg.from)) {
    // progress: a phase 1 that must discover booth after booth may take
    // longer than one election timeout, and must not restart each time
    n.electionElapsed = 0
  }
  c.promises.set(msg.from, msg)
  // decided values are facts whatever the campaign's outcome
  for (const e of msg.entries) {
    if (e.decided) {
      n.log.decide(e.slot, e.ballot, e.value, [...e.booth], e.proof)
    }
  }
  tryLead(n)
}

/**
 * Whether the promise names a value decided at a slot where we decided
 * another (Divergence): then it is reported, and not counted. Only a lost
 * history makes one; counted, its decided values would be applied on top
 * of what we decided instead (a probe: a vehicle that lost its database
 * and wrote alone built its old booth's batches on its new block 1).
 * Fatal on a chain with one proposer: its proposer cannot tell its own
 * history from the member's, and goes no further (a chain that only
 * waited for a majority of the others let writes commit alone meanwhile,
 * in the slots its old booth still governed). On an elected chain the
 * campaign goes on with the others, unless those that went another way
 * leave a booth it needs no majority.
 */
function divergesFrom (n: NodeState, msg: PromiseMessage, c?: Campaign): boolean {
  const slot = divergedAt(n.log, msg)
  if (slot == null) return false
  noteDivergence(n, msg.from, slot, c)
  return true
}

export function noteDivergence (n: NodeState, peer: string, slot: number, c?: Campaign): void {
  c?.diverged.add(peer)
  const fatal = n.s.mode === 'fixed' || (c?.lostToDivergence() ?? false)
  n.diverged.push({ slot, peer, fatal })
  // what it queued is dropped, never sent
  if (fatal) n.stepDown()
}

/**
 * Leads once phase 1 is complete and this node holds the value of every
 * slot up to the highest commit a promiser reported. Those values are
 * fetched from a promiser first (it just answered, so it is alive): a
 * leader never depends on a peer that may be gone for values it must serve.
 */
export function tryLead (n: NodeState): void {
  const c = n.campaignState
  if (n.role !== 'candidate' || c == null) {
    return
  }
  const plan = c.replan(n.log)
  if (!plan.satisfied) {
    sendPrepares(n, c.unasked())
    // a promiser that decided further hands its decided values over now, not a promise's few per
    // campaign: a candidate short of a majority (its own vote forgotten until it catches up) climbed
    // 4 slots per election timeout, while members that defer to its rank elected no one (a probe:
    // over a minute without a leader). Decided values are facts whatever the campaign's outcome.
    const ahead = [...c.promises.values()].find(m => m.commit > n.log.commit)
    if (ahead != null) n.requestCatchup(ahead.from)
    return
  }
  if (plan.chosen > n.log.commit) {
    const from = plan.chosenFrom ?? [...c.promises.values()].find(p => p.commit >= plan.chosen)?.from
    if (from != null) {
      n.requestCatchup(from)
    }
    return
  }
  if (awaitsSilentMembers(n, c)) return
  // a member showed, unsigned, votes we may have lost: leading could decide other values for them
  if (c.unsigned.size > 0) return
  becomeLeader(n, c)
}

export function onNack (n: NodeState, msg: Extract<Message, { type: 'nack' }>): void {
  if (!isAcceptor(n, msg.from)) return
  // a promise of a ballot of ours above every round we know we used: we used it, and lost the state that says so.
  // With proofs a refusal proves nothing (a member could make it up): lost votes show as values we signed
  if (n.s.proofs == null && n.alone() && msg.promised.proposer === n.s.id && msg.promised.round > n.round) forgetOwnVotes(n)
  const own = n.ownBallot()
  noteRound(n, msg.promised.round)
  if (own != null && ballotEquals(msg.ballot, own) && compareBallots(msg.promised, own) > 0) {
    n.deposedBy(msg.promised.proposer)
    n.stepDown()
  }
}

/**
 * Our own acceptor state is older than votes we cast: from now on our
 * promise counts for nothing until we lead again, as for a data dir that
 * lost it (config.forgotVotes). Else our stale promise and a member that
 * missed the slots we lost could make a majority that decides other
 * values for them.
 */
function forgetOwnVotes (n: NodeState): void {
  if (n.s.forgotVotes) return
  n.s = { ...n.s, forgotVotes: true }
  const c = n.campaignState
  if (c != null) {
    c.promises.delete(n.s.id)
    c.replan(n.log)
  }
}

/**
 * The first phase 1 of a vehicle that restarted from its data dir waits
 * for every member of the booths it needs before it leads with its own
 * promise counted, half an election timeout at most from the first
 * answer (members connect a while after a restart): a member that holds
 * votes the data dir lost (restored from an older copy) then tells it so
 * (showsForgottenVotes) before a majority of it and members that missed
 * those slots decides others. A majority without its own promise needs no
 * wait: it includes a member of every majority that decided anything.
 */
function awaitsSilentMembers (n: NodeState, c: Campaign): boolean {
  if (!n.restarted || n.s.forgotVotes || c.answeredTicks >= Math.floor(n.s.electionTicks / 2)) return false
  return !c.satisfiedWithout(n.s.id, n.log) && c.silent().length > 0
}

function becomeLeader (n: NodeState, c: Campaign): void {
  const plan = c.plan
  n.log.learnChosen(plan.chosen, plan.epochs)
  for (const [slot, e] of plan.decided) {
    n.log.decide(slot, e.ballot, e.value, e.booth, e.proof)
  }
  n.role = 'leader'
  n.damping.began()
  n.restarted = false
  n.leaderId = n.s.id
  n.leaderBallot = copyBallot(c.ballot)
  // a majority without us promised: our votes from now on are durable and count again
  if (n.s.forgotVotes) n.s = { ...n.s, forgotVotes: false }
  n.heartbeatElapsed = 0
  // the orphans stay: one this phase 1 did not recover may still be chosen by a later
  // leader that meets the minority holding it, as long as its slot is open
  n.leadership = new Leadership(c.ballot, plan, n.log.commit, c.promises.keys())
  n.leadership.fillLimit = n.leadership.readIndex() + n.s.window
  // twice the election timeout: a follower that stalls for one (a loaded host) does not cost the leadership
  n.quorumCheck = n.s.mode === 'elected' ? new QuorumCheck(n.s.id, QUORUM_CHECK_TIMEOUTS * n.s.electionTicks) : undefined
  n.leadership.takeCarried(n.carried.splice(0), n.log)
  fillOrphanSlots(n, n.leadership)
  heartbeat(n)
  settleLeader(n)
}

/**
 * An earlier leadership of ours left values in flight at slots this phase
 * 1 found empty (their accepts were lost): each may still be chosen there
 * by a later leader that meets a member holding it, so its writers learn
 * its fate only once the slot is decided (orphans.ts). With no other
 * write to take those slots, nothing would decide them, and the writers
 * waited out their deadline on a healthy leader (found by the
 * simulation). Noops fill them: once a slot chose one, its orphans are
 * reported dropped and their writes proposed again.
 */
function fillOrphanSlots (n: NodeState, lead: Leadership): void {
  lead.fillTo(n.orphans.top())
}
