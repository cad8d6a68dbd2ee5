/**
 * When and how a node stands for leader: its election timeout, PreVote, a
 * Bully takeover of a lower-ranked leader, the stickiness that keeps a live
 * leader against other candidates, the round to campaign at, and the
 * prepares of its campaign. Counting the promises is phase1.ts's job.
 */
import { ballotEquals, compareBallots, copyBallot } from './ballot.ts'
import { outranks, rankOf } from './election.ts'
import { Campaign } from './proposer.ts'
import { PreVote } from './pre-vote.ts'
import { MAX_ROUND_JUMP } from './validate.ts'
import { isAcceptor } from './senders.ts'
import type { NodeState } from './node-state.ts'
import type { Ballot, Message } from './types.ts'

/** Answers whether we would promise the ballot now; changes nothing (pre-vote.ts). */
export function onPrePrepare (n: NodeState, msg: Extract<Message, { type: 'prePrepare' }>): void {
  const granted = !sticksToLeaderAgainst(n, msg.from, msg.takeover === true) && compareBallots(msg.ballot, n.acceptor.promised) > 0
  // a better candidate is asking: ours would only compete with it (Bully defers)
  if (outranks(n.s.candidates, msg.from, n.s.id)) n.followedTicks = 0
  n.send({ type: 'prePromise', from: n.s.id, to: msg.from, ballot: copyBallot(msg.ballot), granted, promised: copyBallot(n.acceptor.promised) })
}

export function onPrePromise (n: NodeState, msg: Extract<Message, { type: 'prePromise' }>): void {
  if (!isAcceptor(n, msg.from)) return
  // a refusal names the promise to beat: the next ask (or campaign) goes above it
  noteRound(n, msg.promised.round)
  const pv = n.preVote
  if (pv == null || !msg.granted || !ballotEquals(pv.ballot, msg.ballot)) {
    return
  }
  pv.grant(msg.from)
  campaignIfPreVoteWon(n)
}

/**
 * Leader stickiness (elected chains): a node that heard from a live leader
 * within an election timeout neither promises nor pre-promises anyone
 * else, so a node that was cut off cannot depose a working leader.
 */
function hearsLeaderOtherThan (n: NodeState, candidate: string): boolean {
  return n.s.mode === 'elected' && n.leaderId != null && n.leaderId !== candidate &&
    (n.role === 'leader' || n.electionElapsed < n.s.electionTicks)
}

/**
 * Stickiness, but for Bully's rule: a live leader is kept against anyone
 * except a candidate that outranks it and asks as a takeover (see
 * mayTakeOver: it followed that leader steadily). One that asks because it
 * heard no leader, a vehicle just back in range, is refused like any
 * other: it follows the leader it now hears, and takes over only once it
 * has stayed (a flapping best vehicle took the chain back at every
 * return: takeover-damping.ts).
 */
export function sticksToLeaderAgainst (n: NodeState, candidate: string, takeover: boolean): boolean {
  return hearsLeaderOtherThan(n, candidate) && !(takeover && outranks(n.s.candidates, candidate, n.leaderId as string))
}

/**
 * Bully (seed 004): the best live candidate leads. Rank decides who times
 * out first, but a slow or starved best candidate may lose that race, and
 * stickiness would then keep a lower one leading for good. So a follower
 * that outranks the leader it has heard steadily for two election timeouts
 * (plus its rank's delay, so that the best of several challengers goes
 * first, and the others defer when they hear it) takes over: it asks a
 * pre-vote (members grant it although they hear their leader, since it
 * outranks that leader) and campaigns once a majority would promise. Until
 * then nothing changes; its asks repeat every heartbeat interval, a new
 * round of them after each wait. A node that lost a leadership it could
 * not keep waits longer (takeover-damping.ts).
 */
export function mayTakeOver (n: NodeState): boolean {
  return n.s.mode === 'elected' && (n.preVote == null || n.preVote.challenging != null) &&
    n.leaderId != null && n.leaderId !== n.s.id &&
    n.followedTicks >= 2 * n.s.electionTicks + rankOf(n.s.candidates, n.s.id) * n.s.rankTicks + n.damping.extraTicks &&
    outranks(n.s.candidates, n.s.id, n.leaderId)
}

export function startTakeover (n: NodeState): void {
  n.followedTicks = 0
  askPreVote(n, n.leaderId)
}

/** Out of patience with the leader or our own campaign: a fixed proposer campaigns, an elected node asks first. */
export function electionTimedOut (n: NodeState): void {
  if (n.s.mode === 'fixed') {
    startCampaign(n)
  } else {
    startPreVote(n)
  }
}

/**
 * PreVote (raft §9.6 of Ongaro's thesis): ask the booth whether it would
 * promise the ballot we would campaign with, and campaign only once a
 * majority would. Nothing is raised or persisted meanwhile, so a node cut
 * off from the others keeps its promise where it was and, back, simply
 * follows the leader it hears instead of refusing its lower ballot.
 */
function startPreVote (n: NodeState): void {
  n.stepDown()
  n.leaderId = undefined
  n.electionElapsed = 0
  n.timeout = n.newTimeout()
  askPreVote(n)
}

/** Asks the booth for a pre-vote on a new ballot (on behalf of a takeover of `challenging`, if given). */
function askPreVote (n: NodeState, challenging?: string): void {
  n.heartbeatElapsed = 0
  n.preVote = new PreVote({ round: nextRound(n), proposer: n.s.id }, n.s.id, challenging)
  sendPrePrepares(n, n.preVote.waiting(preVoteBooth(n)))
  campaignIfPreVoteWon(n)
}

/** A round above every ballot this node has used, promised, followed or seen. */
function nextRound (n: NodeState): number {
  return knownRound(n) + 1
}

function knownRound (n: NodeState): number {
  return Math.max(n.round, n.acceptor.promised.round, n.leaderBallot.round, n.maxSeenRound)
}

/**
 * Notes a round a peer reported, at most MAX_ROUND_JUMP above every round
 * this node knew: which round to campaign at is a matter of progress, not
 * safety (acceptors check every ballot), and a made-up round at the limit
 * would leave no round to campaign at, for good (it is persisted). A real
 * round further ahead is reached in steps, one per refusal.
 */
export function noteRound (n: NodeState, round: number): void {
  n.maxSeenRound = Math.max(n.maxSeenRound, Math.min(round, knownRound(n) + MAX_ROUND_JUMP))
}

/** The booth whose majority a pre-vote needs: the latest this node knows of. */
export function preVoteBooth (n: NodeState): string[] {
  return n.log.epochs[n.log.epochs.length - 1].members
}

export function sendPrePrepares (n: NodeState, to: string[]): void {
  const pv = n.preVote
  if (pv == null) {
    return
  }
  for (const peer of to) {
    n.send({ type: 'prePrepare', from: n.s.id, to: peer, ballot: copyBallot(pv.ballot), ...(pv.challenging != null ? { takeover: true } : {}) })
  }
}

function campaignIfPreVoteWon (n: NodeState): void {
  if (n.preVote?.won(preVoteBooth(n)) === true) {
    // a campaign a takeover's pre-vote won asks as a takeover too (sticksToLeaderAgainst)
    startCampaign(n, n.preVote.challenging != null)
  }
}

export function startCampaign (n: NodeState, takeover = false): void {
  // booths the last campaign found it needed: ask them at once this time
  const known = n.campaignState?.plan.required.flat() ?? []
  n.stepDown()
  n.round = nextRound(n)
  n.roundDirty = true
  const ballot: Ballot = { round: n.round, proposer: n.s.id }
  n.role = 'candidate'
  n.leaderId = undefined
  n.campaignState = new Campaign(ballot, n.log, takeover)
  n.electionElapsed = 0
  n.heartbeatElapsed = 0
  n.timeout = n.newTimeout()
  // ask ourselves first (our own acceptor state counts like any other), then the required booths
  sendPrepares(n, [...new Set([n.s.id, ...n.campaignState.unasked(), ...known])])
}

export function sendPrepares (n: NodeState, to: string[]): void {
  const c = n.campaignState
  if (c == null) {
    return
  }
  for (const peer of to) {
    c.asked.add(peer)
    n.send({ type: 'prepare', from: n.s.id, to: peer, ballot: c.ballot, slot: c.fromSlot, ...(c.takeover ? { takeover: true } : {}) })
  }
}
