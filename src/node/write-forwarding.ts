/**
 * The forwarding client: a write handed to the proposer of a chain this
 * node does not propose for (another vehicle's, or the shared chain's
 * leader), over /vguard/write/1.0.0, and the proposer's answer mapped to our
 * errors. Each error says whether the write may still commit: a lost answer
 * may hide a commit, a refusal or a write never sent does not.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { HASH_BYTES, InvalidTransactionError } from '../chain/index.ts'
import { ANSWER_SLACK, replicationOf, WriteResponse } from '../protocols/write/index.ts'
import type { WriteService } from '../protocols/write/index.ts'
import { ProtocolError } from '../protocols/errors.ts'
import type { CommitResult } from './replica-types.ts'
import type { EncodedWrite } from './batch.ts'
import {
  CommitTimeoutError, ConsensusStoppedError, NoQuorumError, NotProposerError, OwnChainConflictError, ProposerUnreachableError, RefusedWriteError, retryAdvice
} from './consensus-errors.ts'

/** Bytes of the id a forwarded write carries (the same on every retry). */
export const WRITE_ID_BYTES = 16

export interface ForwardingDeps {
  writes: Pick<WriteService, 'forward'>
  /** Whether this node runs: a write its own stop cut is not the proposer's failure. */
  running: () => boolean
}

/** Hands a write to the chain's proposer and maps its answer to our errors. */
export async function forwardWrite (d: ForwardingDeps, peer: string, chainId: string, write: EncodedWrite, timeout: number, wait: boolean, writeId: Uint8Array, idempotencyKey?: string, signal?: AbortSignal): Promise<CommitResult> {
  let peerId: PeerId
  try {
    peerId = peerIdFromString(peer)
  } catch {
    throw new InvalidTransactionError(`not a chain of a vehicle (peer id) or 'shared': ${chainId}`)
  }
  // another form of an id (a CID) names no chain: the vehicle would refuse it, or it is our own
  if (peer === chainId && peerId.toString() !== chainId) throw new InvalidTransactionError(`give the peer id as ${peerId.toString()}, not as ${chainId}`)
  let res: WriteResponse
  try {
    // the proposer gives up a little before our deadline, so its answer (even CommitTimeoutError) arrives
    // within it; a proposer that answers nothing by then is out of reach, and the caller hears so in time
    const slack = Math.min(ANSWER_SLACK, Math.floor(timeout / 4))
    const deadline = AbortSignal.timeout(timeout)
    res = await d.writes.forward(peerId, chainId, write.payload, {
      timeout: Math.max(1, timeout - slack),
      waitForReplication: wait,
      signal: signal != null ? AbortSignal.any([signal, deadline]) : deadline,
      ...(idempotencyKey != null ? { idempotencyKey } : { writeId })
    })
  } catch (err) {
    if ((err as Error).name === 'WriteNotSentError') {
      // the words ProposerUnreachableError's say it in: a keyed write's failure makes them of this attempt (keyedFailure; with a
      // comma, "the write is not committed" stood beside "an earlier attempt … may still commit": a helper's reading, 2026-12-03)
      if (!d.running()) throw new ConsensusStoppedError(`this node stopped before its write reached ${peer}, proposer of ${chainId} (nothing was sent: the write is not committed)`)
      throw new ProposerUnreachableError(`cannot reach ${peer}, proposer of ${chainId}: ${(err as Error).message} (nothing was sent: the write is not committed)`)
    }
    // our own stop cut the stream: the proposer is not to blame (a review saw healthy proposers named)
    if (!d.running()) throw new ConsensusStoppedError(`this node stopped while its write was with ${peer}, proposer of ${chainId}: it may still commit, whole or not at all ${retryAdvice(idempotencyKey != null)}`, true)
    // the answer was lost or malformed: then the write may have reached it
    throw new ProposerUnreachableError(`no answer from ${peer}, proposer of ${chainId}: ${(err as Error).message ?? String(err)} (if the write reached it, it may still commit) ${retryAdvice(idempotencyKey != null)}`, true)
  }
  return committedOf(res, peer, chainId, idempotencyKey)
}

/** The proposer's answer to a forwarded write: the block it committed, or the error it means here. */
function committedOf (res: WriteResponse, peer: string, chainId: string, idempotencyKey: string | undefined): CommitResult {
  switch (res.status) {
    case WriteResponse.Status.OK: {
      // it took the write and says it committed, naming no block: it may have (502 with no flag read as lost: a review)
      if (res.height < 1 || res.hash.byteLength !== HASH_BYTES) {
        throw new ProtocolError(`${peer} answered OK without a block (height ${res.height}, a hash of ${res.hash.byteLength} bytes): the write may still commit, whole or not at all ${retryAdvice(idempotencyKey != null)}`, true)
      }
      const replication = replicationOf(res)
      // a copy of the hash, not a view into the answer frame (a Buffer) that would keep it alive
      return { chainId, height: res.height, hash: Uint8Array.from(res.hash), ...(replication != null ? { replication } : {}) }
    }
    case WriteResponse.Status.NOT_LEADER: throw new NotProposerError(`${peer} does not lead ${chainId}: ${res.message}`, res.leader === '' ? undefined : res.leader)
    case WriteResponse.Status.NO_QUORUM: throw new NoQuorumError(`${peer}: ${res.message}`)
    case WriteResponse.Status.COMMIT_TIMEOUT: throw new CommitTimeoutError(`${peer}: ${res.message}`)
    case WriteResponse.Status.INVALID: throw new InvalidTransactionError(`${peer}: ${res.message}`)
    // the peer does not write this chain: nothing was committed, and asking it again changes nothing
    case WriteResponse.Status.REFUSED: throw new RefusedWriteError(`${peer} refused the write to ${chainId}: ${res.message}`)
    // the proposer's consensus stopped (its node stopping, or a save failed) before the write was decided there
    case WriteResponse.Status.ERROR:
      if (res.error === 'NodeStoppingError' && !res.mayHaveCommitted) throw new ProposerUnreachableError(`${peer}, proposer of ${chainId}, is stopping: the write was not taken (nothing written; send it again once it is back)`)
      // refused before the request was read (WriteService.serve): nothing of it was taken
      // its message says why (not identified yet, another network, or two processes run this node's identity)
      if (res.error === 'NotMemberError' && !res.mayHaveCommitted) throw new ProposerUnreachableError(`${peer}, proposer of ${chainId}, does not count this node as a member of its network: ${res.message !== '' ? res.message : 'the write was not taken'} (nothing written)`)
      // its chain went another way than the one its backups hold, and it refused the write before proposing it: the
      // same 409 as a write on that vehicle itself gets (it was "may still commit", of a write never proposed)
      if (res.error === 'OwnChainConflictError' && !res.mayHaveCommitted) throw new OwnChainConflictError(`${peer}, proposer of ${chainId}, refused the write: ${res.message}`)
      if (res.error === 'ConsensusStoppedError') throw new ProposerUnreachableError(`${peer}, proposer of ${chainId}, stopped its consensus: ${res.message}`, res.mayHaveCommitted)
      // its disk filled under its consensus, which stopped: as above, in the disk's words (not "broke its protocol")
      if (res.error === 'DiskFullError') throw new ProposerUnreachableError(`${peer}, proposer of ${chainId}, has a full disk: ${res.message}`, res.mayHaveCommitted)
      // whatever the error, a proposer that says the write may have committed is believed: the client retries with its key
      if (res.mayHaveCommitted) throw new ProposerUnreachableError(`${peer}, proposer of ${chainId}, failed the write after proposing it${res.error !== '' ? ` (${res.error})` : ''}: ${res.message}`, true)
      // an error not known here, or none named (a peer older than the field): it took the write, and an error that
      // carries no flag there (a store closed under it) does not say it was not proposed (it was 502 "broke its
      // protocol", with no flag, also for a keyed write: a review). CommitTimeoutError, as the same error met on
      // this node is for a keyed write (keyedFailure): the proposer was reached and answered, it is not unreachable
      // (it said ProposerUnreachableError, and a shared-chain write asked that leader again until its deadline)
      throw new CommitTimeoutError(`${peer}, proposer of ${chainId}, failed the write${res.error !== '' ? ` (${res.error})` : ''}: ${res.message} ` +
        `(it took the write and did not say whether it had proposed it: it may still commit, whole or not at all) ${retryAdvice(idempotencyKey != null)}`)
    // a status not known here (the decoder refuses numbers it does not know, so one of a newer schema): the
    // proposer read the write, so it may have proposed it
    default: throw new ProtocolError(`${peer} answered ${WriteResponse.Status[res.status] ?? res.status}: ${res.message} (the write may still commit, whole or not at all) ${retryAdvice(idempotencyKey != null)}`, true)
  }
}
