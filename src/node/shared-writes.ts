/**
 * A write to the shared chain: proposed here while this node leads it, else
 * forwarded to its leader, following elections and NOT_LEADER answers until
 * the write's deadline. Every attempt carries one id, so a write that reached
 * an earlier leader commits once; the error at the deadline says what every
 * attempt heard and who may still hold the write (write-attempts.ts).
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PeerId } from '@libp2p/interface'
import { toHex } from '../chain/index.ts'
import type { PaxosDriver } from './paxos-driver.ts'
import type { CommitResult } from './replica-types.ts'
import type { EncodedWrite } from './batch.ts'
import { leaderMoved } from './chain-reads.ts'
import { namedLeaderProblem } from './named-leader.ts'
import { memoryOwner, writeKey } from './recent-writes.ts'
import type { RecentWrites } from './recent-writes.ts'
import { idempotentRef } from './idempotency.ts'
import { LEADER_RETRY_DELAY, SHARED_CHAIN } from './paxos-constants.ts'
import { earlierMayCommit, WriteAttempts } from './write-attempts.ts'
import { remainingUntil, submitOnce } from './submit-once.ts'
import { forwardWrite, WRITE_ID_BYTES } from './write-forwarding.ts'
import type { ForwardingDeps } from './write-forwarding.ts'
import type { WriteProgress } from './write-failures.ts'
import { ConsensusStoppedError, NoLeaderError, NoQuorumError, NotProposerError, ProposerUnreachableError } from './consensus-errors.ts'

export interface SharedWritesDeps extends ForwardingDeps {
  self: string
  driver: Pick<PaxosDriver, 'shared' | 'forgetfulPeers' | 'isClone'>
  /** Writes with an id taken here, by their key (Consensus's): a write this node proposes as the leader joins them. */
  forwarded: RecentWrites<CommitResult>
  /** Members connected now: a leader a node names is followed only among them (named-leader.ts). */
  connectedMembers: () => PeerId[]
  /** Aborted by the node's stop: it ends the pause between attempts. */
  stopSignal: () => AbortSignal
}

/** Commits `write` to the shared chain within `timeout`; `progress` learns when it may have been proposed (closedUnder). */
export async function appendShared (d: SharedWritesDeps, write: EncodedWrite, timeout: number, wait: boolean, idempotencyKey?: string, progress?: WriteProgress): Promise<CommitResult> {
  const deadline = performance.now() + timeout
  // one id for every attempt: a leader that already took this write answers a retry with its outcome
  const writeId = randomBytes(WRITE_ID_BYTES)
  const ref = idempotencyKey == null ? { from: d.self, id: writeId } : idempotentRef(SHARED_CHAIN, idempotencyKey, write.payload, d.self)
  let last: Error = new NoLeaderError('no shared chain has formed yet')
  // why the leader a node named was not asked: said at the end, whatever the attempt cut by the deadline said
  let unfollowed: string | undefined
  // what every attempt heard: the error at the deadline says it all, not only what the last one (often cut by it)
  // heard; and who may hold the write (attempts.held): an attempt of this call whose answer was lost, or this
  // node's own proposal while it led (an earlier call's: keyedFailure)
  const attempts = new WriteAttempts(d.self)
  while (performance.now() < deadline && d.running()) {
    const shared = d.driver.shared()
    const remaining = remainingUntil(deadline)
    if (shared == null) {
      last = new NoLeaderError('no shared chain has formed yet')
      attempts.waited(last)
    } else if (shared.isLeader()) {
      // two notions: mayBeProposed is set before an attempt (closedUnder's flag, whatever it ends with), held
      // only after one that failed with a leader that may hold the write (the answer at the deadline)
      if (progress != null) progress.mayBeProposed = true
      try {
        return await d.forwarded.once(writeKey(ref.from, SHARED_CHAIN, toHex(ref.id)), async () => await submitOnce(shared, write, ref, remaining, wait), memoryOwner(ref))
      } catch (err) {
        // an earlier leader may hold it: what we proposed (or not) is not all there is
        if ((err as Error).name !== 'NotProposerError') throw earlierMayCommit(err as Error, attempts.earlier(), idempotencyKey != null)
        // no holder to note: our own attempt hears NotProposerError only of a write never sent, or of a proposal whose
        // slot chose another value (a value goes to one slot only: orphans.ts); one sent and undecided waits for its
        // slot however the lead went, and ends CommitTimeoutError at the deadline (a review asked, 2026-12-03:
        // shared-chain-dropped-retry.spec.ts)
        last = err as Error
        attempts.tried(d.self, last)
        continue
      }
    } else {
      const leader = shared.leader()
      // an earlier attempt of this keyed write that this node proposed while it led, undecided: the next
      // leader's phase 1 may choose it (a probe's retry heard "nothing written", and it committed)
      if (shared.mayStillCommit(ref)) attempts.mayHold('self')
      if (leader == null || leader === d.self) {
        // no election can end while no majority of the booth is connected: that is why, not an election
        // under way (a review); one already handed over may still commit, which NoLeaderError says
        last = !attempts.held && !shared.hasQuorum(undefined, d.driver.forgetfulPeers())
          ? new NoQuorumError(`the shared chain has no leader: ${noMajorityReason(d.driver, shared.status().booth)}`)
          : new NoLeaderError('the shared chain is electing a leader')
        attempts.waited(last)
      } else {
        // the node we take for the leader may name the one elected since (our view lags: we missed the
        // election): that one is asked at once, one hop at most (it naming another waits for the pause)
        let target = leader
        for (let hop = 0; hop < 2 && remainingUntil(deadline) > 0; hop++) {
          // a leader that froze (out of range, its connection still open) answers nothing: once another
          // is elected here, the write goes there (the same id: one that reached the old one commits once)
          const moved = leaderMoved(d.driver, target, leader)
          if (progress != null) progress.mayBeProposed = true
          try {
            return await forwardWrite(d, target, SHARED_CHAIN, write, remainingUntil(deadline), wait, writeId, idempotencyKey, moved.signal)
          } catch (err) {
            const name = (err as Error).name
            // a definite outcome from the leader ends it; a moved or lost leader is retried
            if (name === 'NoQuorumError' || name === 'CommitTimeoutError' || name === 'InvalidTransactionError') throw earlierMayCommit(err as Error, attempts.earlier(), idempotencyKey != null)
            // the leader may hold it, unless it refused it or it never left this node: unreachable, or this node's stop
            // came before the stream opened (that one said "may still commit" with "nothing was sent" in it: a helper's
            // reading, 2026-12-03)
            const unsent = (err instanceof ProposerUnreachableError || err instanceof ConsensusStoppedError) && !err.mayHaveCommitted
            if (name !== 'NotProposerError' && !unsent) attempts.mayHold('leader')
            last = err as Error
            attempts.tried(target, last, remainingUntil(deadline) === 0)
          } finally {
            moved.stop()
          }
          if (hop > 0 || !(last instanceof NotProposerError) || last.leader == null) break
          const problem = namedLeaderProblem(last.leader, {
            self: d.self,
            answered: target,
            connected: d.connectedMembers().map(p => p.toString()),
            isClone: (peer) => d.driver.isClone(peer),
            candidates: shared.candidates()
          })
          if (problem != null) {
            unfollowed = `${target} named ${JSON.stringify(last.leader.slice(0, 80))} as the leader, not followed: ${problem}`
            break
          }
          target = last.leader
        }
      }
    }
    // a stop ends the pause: the write settled up to 100 ms after stop() resolved (a review)
    await sleep(Math.min(LEADER_RETRY_DELAY, remainingUntil(deadline)), undefined, { signal: d.stopSignal() }).catch(() => {})
  }
  if (!d.running()) throw attempts.stopped(last, idempotencyKey != null)
  // a leader, or our own proposal, may hold it (a probe's write failed so had committed): the caller must not take it
  // for lost. That is a commit timeout, as a leader's own at its deadline is: not decided in time, may commit whole
  if (last.name === 'NotProposerError' || last.name === 'ProposerUnreachableError' || last.name === 'NoLeaderError') throw attempts.timedOut(timeout, idempotencyKey != null, unfollowed)
  throw last
}

/**
 * Why a shared-chain booth has no majority: too few connected, or members
 * connected that lost their database and do not count yet (an operator
 * waiting on a leader sees whom the chain waits for).
 */
function noMajorityReason (driver: Pick<PaxosDriver, 'forgetfulPeers'>, booth: string[]): string {
  const held = driver.forgetfulPeers().filter(p => booth.includes(p))
  const base = `no majority of its booth (${booth.length} members) is connected`
  if (held.length === 0) return base
  return `${base} and counted: ${held.join(', ')} lost ${held.length === 1 ? 'its database' : 'their databases'} and ${held.length === 1 ? 'does' : 'do'} not vote until ` +
    'a leader confirmed by a majority of the others counts them again (members that decided the latest blocks must come back)'
}
