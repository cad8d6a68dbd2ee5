/**
 * One write submitted to a replica this node runs, committed at most once
 * when it has an id: a retry of a write whose attempt timed out gets that
 * attempt's outcome, never a second proposal. Used for our own chain, the
 * shared chain while this node leads it, and writes peers forward here.
 */
import { LEADER_READ_TIMEOUT } from './paxos-constants.ts'
import type { ChainReplica } from './paxos-replica.ts'
import type { CommitResult } from './replica-types.ts'
import type { EncodedWrite, WriteRef } from './batch.ts'
import { earlierMayCommit } from './write-attempts.ts'
import { unreadEarlier } from './write-failures.ts'
import { CommitTimeoutError, ConsensusStoppedError, retryAdvice } from './consensus-errors.ts'

/** Whole ms left until a deadline on the monotonic clock (timers and AbortSignal.timeout take integers only). */
export function remainingUntil (deadline: number): number {
  return Math.max(0, Math.floor(deadline - performance.now()))
}

/**
 * Submits a write; one with an id (`ref`) commits at most once across
 * leaders and restarts: the proposer first makes sure it applied what
 * earlier leaders got chosen (settleLeadership), then answers a write it
 * finds there with that commit, and otherwise proposes it with its id in the
 * batch, so every replica learns it. Attempts of one write run one after
 * the other here (ChainReplica.attemptOnce): the node's join of them
 * (RecentWrites.once) forgets past its bound.
 */
export async function submitOnce (replica: ChainReplica, write: EncodedWrite, ref: WriteRef | undefined, timeout: number, wait: boolean, replicate = true): Promise<CommitResult> {
  if (ref == null) return await replica.submit(write, { timeout, waitForReplication: wait, replicate })
  const deadline = performance.now() + timeout
  return await replica.attemptOnce(ref, timeout, async () => await submitAttempt(replica, write, ref, deadline, wait, replicate))
}

/** One attempt of submitOnce, the attempts of the write before it here ended. */
async function submitAttempt (replica: ChainReplica, write: EncodedWrite, ref: WriteRef, deadline: number, wait: boolean, replicate: boolean): Promise<CommitResult> {
  const timeout = remainingUntil(deadline)
  // a client's key (idempotentRef names a carrier), not the id one call's attempts share
  const keyed = ref.carrier != null
  await replica.settleLeadership(Math.min(timeout, LEADER_READ_TIMEOUT))
  // an earlier attempt that timed out may still be in flight: its outcome, never a second proposal
  const landing = await replica.landed(ref, remainingUntil(deadline))
  if (landing === 'in flight') {
    throw new CommitTimeoutError(`an earlier attempt of this write to ${replica.chainId} is queued or proposed and not decided yet; it commits whole or not at all ${retryAdvice(keyed)}`)
  }
  if (landing === 'unknown') {
    throw new CommitTimeoutError(`an earlier attempt of this write to ${replica.chainId} was proposed, and this node caught up on the chain from a snapshot that may or may not hold it: it is not proposed again here (that could commit it twice); read the key to see whether it committed`)
  }
  if (landing === 'stopped') {
    throw new ConsensusStoppedError(`consensus of ${replica.chainId} stopped while an earlier attempt of this write was proposed and not decided: it may still commit, whole or not at all ${retryAdvice(keyed)}`, true)
  }
  const earlier = await replica.rememberedWrite(ref).catch((err: Error) => { throw unreadEarlier(err, replica.chainId, keyed) })
  if (earlier === 'unknown') {
    throw new CommitTimeoutError(`an earlier attempt of this write to ${replica.chainId} was proposed, and this node could not learn whether it was chosen: it is not proposed again here (that could commit it twice); read the key to see whether it committed`)
  }
  if (earlier != null) return earlier
  try {
    return await replica.submit({ ...write, ref }, { timeout: remainingUntil(deadline), waitForReplication: wait, replicate })
  } catch (err) {
    // not proposed in time, but an attempt this node proposed earlier (and no longer leads for) may still be chosen
    throw earlierMayCommit(err as Error, (err as Error).name === 'NoQuorumError' && replica.mayStillCommit(ref) ? 'was proposed by this node' : undefined, keyed)
  }
}
