/**
 * The follower side: a leader's accepts and heartbeats, after which this
 * node follows that leader and learns its commit (asking for what it lacks),
 * and the decided values a catch-up brings.
 */
import { ZERO_BALLOT, ballotEquals, compareBallots, copyBallot } from './ballot.ts'
import { tryLead } from './phase1.ts'
import { settleLeader } from './leading.ts'
import type { NodeState } from './node-state.ts'
import type { Ballot, Message } from './types.ts'

/**
 * An acceptor takes accepts at most this many windows above the slots it
 * knows decided. A leader proposes at most a window beyond its commit, and
 * its accepts carry that commit, so an acceptor further behind catches up
 * first; without a bound, a vehicle could make its booth members keep
 * undecided values at any number of slots (on disk, for good).
 */
const ACCEPT_AHEAD_WINDOWS = 16

export function onAccept (n: NodeState, msg: Extract<Message, { type: 'accept' }>): void {
  if (msg.slot > n.log.commit + ACCEPT_AHEAD_WINDOWS * n.s.window) {
    // too far ahead to hold: hear the leader and its commit (and so catch up), take nothing
    if (compareBallots(msg.ballot, n.acceptor.promised) >= 0) {
      followLeader(n, msg.from, msg.ballot)
      learnCommit(n, msg.from, msg.ballot, msg.commit)
    }
    return
  }
  const reply = n.acceptor.onAccept(msg)
  if (reply == null) {
    // no room for another undecided value: no vote, but hear the leader's commit, which frees room
    followLeader(n, msg.from, msg.ballot)
    learnCommit(n, msg.from, msg.ballot, msg.commit)
    return
  }
  n.send(reply)
  if (reply.type === 'accepted') {
    followLeader(n, msg.from, msg.ballot)
    learnCommit(n, msg.from, msg.ballot, msg.commit)
  }
}

export function onHeartbeat (n: NodeState, msg: Extract<Message, { type: 'heartbeat' }>): void {
  if (compareBallots(msg.ballot, n.acceptor.promised) < 0 && outranksOnlyOwnFailedCampaign(n, msg.ballot)) {
    // learn from it, but confirm no read (this node did promise a higher ballot); outside the
    // booth it counts for no quorum either, so an ack only to ask for a fill (else its orphans
    // waited for good: a review)
    followLeader(n, msg.from, msg.ballot)
    learnCommit(n, msg.from, msg.ballot, msg.commit)
    const fill = n.orphans.top()
    if (fill > msg.commit) n.send({ type: 'heartbeatAck', from: n.s.id, to: msg.from, ballot: copyBallot(msg.ballot), read: 0, fill })
    return
  }
  if (compareBallots(msg.ballot, n.acceptor.promised) < 0 || compareBallots(msg.ballot, n.leaderBallot) < 0) {
    // a deposed leader: tell it, so it steps down
    const known = compareBallots(n.leaderBallot, n.acceptor.promised) > 0 ? n.leaderBallot : n.acceptor.promised
    n.send({ type: 'nack', from: n.s.id, to: msg.from, ballot: copyBallot(msg.ballot), promised: copyBallot(known) })
    return
  }
  followLeader(n, msg.from, msg.ballot)
  learnCommit(n, msg.from, msg.ballot, msg.commit)
  // an elected leader counts the acks (check-quorum.ts); a fixed proposer asks only for its reads
  const read = msg.read ?? 0
  if (n.s.mode === 'elected' || read > 0) {
    const fill = n.orphans.top()
    n.send({ type: 'heartbeatAck', from: n.s.id, to: msg.from, ballot: copyBallot(msg.ballot), read, ...(fill > msg.commit ? { fill } : {}) })
  }
}

/**
 * Whether the only ballot above `ballot` this node knows is the one it
 * promised itself in a campaign that failed (it follows no one above
 * `ballot`), and it is no member of the booth: nobody took that ballot,
 * so the heartbeat's sender may well lead. Nacked, a leader that does not
 * count this node among its acceptors heeds nothing, and this node never
 * learned the chain again (found by the simulation). Followed, its commit
 * is learned (a decision is one whatever the ballot); its heartbeats are
 * acknowledged only to ask for a fill (read 0: no read is confirmed); and
 * should the node join the booth, its accepts still refuse the lower
 * ballot (acceptor.ts), and the leader campaigns above it.
 */
function outranksOnlyOwnFailedCampaign (n: NodeState, ballot: Ballot): boolean {
  // a member of the booth nacks as before: the leader heeds it and campaigns above the promise at
  // once (followed silently, it kept a leader that could not use this member's vote: a review)
  return n.role === 'follower' && n.acceptor.promised.proposer === n.s.id && compareBallots(ballot, n.leaderBallot) >= 0 &&
    !n.log.boothFor(n.log.commit + 1).includes(n.s.id)
}

/** A leader at `ballot` is alive: follow it (stepping down if it outranks our own ballot). */
function followLeader (n: NodeState, from: string, ballot: Ballot): void {
  if (from === n.s.id) {
    return
  }
  const own = n.ownBallot()
  if (own != null) {
    if (compareBallots(ballot, own) <= 0) {
      return
    }
    n.deposedBy(from)
    n.stepDown()
  }
  if (compareBallots(ballot, n.leaderBallot) >= 0) {
    if (n.leaderId !== from) n.followedTicks = 0
    n.leaderBallot = copyBallot(ballot)
    n.leaderId = from
    n.electionElapsed = 0
    // a takeover's ask goes on while we follow the leader it challenges
    if (n.preVote?.challenging !== from) n.preVote = undefined
  }
}

/**
 * The leader at `ballot` says every slot ≤ commit is decided. A held entry
 * accepted at that very ballot holds the leader's value, which is the
 * decided one; anything else must be fetched.
 */
function learnCommit (n: NodeState, from: string, ballot: Ballot, commit: number): void {
  n.heardCommit = Math.max(n.heardCommit, commit)
  for (let s = n.log.commit + 1; s <= commit; s++) {
    const e = n.log.get(s)
    if (e != null && !e.decided && ballotEquals(e.ballot, ballot)) {
      n.log.markDecided(s)
    }
  }
  settleLeader(n)
  if (n.log.commit < commit) {
    n.requestCatchup(from)
  }
}

export function onDecided (n: NodeState, msg: Extract<Message, { type: 'decided' }>): void {
  n.heardCommit = Math.max(n.heardCommit, msg.commit)
  const before = n.log.commit
  for (const e of msg.entries) {
    n.log.decide(e.slot, ZERO_BALLOT, e.value, [...e.booth], e.proof)
  }
  settleLeader(n)
  if (n.log.commit < msg.commit && (n.log.commit > before || msg.entries.length === 0 || msg.entries[0].slot > n.log.commit + 1)) {
    // more to fetch from the same peer
    n.catchup.rearm()
    n.requestCatchup(msg.from)
  }
  tryLead(n)
}
