/**
 * The words a failed write ends with: what its caller may conclude from
 * them. A keyed write's failure speaks of the key, not of this attempt
 * (keyedFailure); an end of booth's failed round says its block committed
 * (roundFailure); a write the node's stop closed the database under says how
 * far it went (closedUnder), and one of no known kind once it may have been
 * proposed (unkeyedFailure) or, an end of booth's, appended or proposed
 * (unkeyedBoothFailure). Pure functions over errors, kept apart from
 * Consensus so each rule can be tested alone.
 */
import { ChainNotFoundError, DiskFullError, isDatabaseClosed, StoreClosedError } from '../storage/errors.ts'
import { AnswerCutOffError, InvalidMessageError, MalformedMessageError, NotFoundError, NotStartedError, ProtocolError, TimeoutError } from '../protocols/errors.ts'
import { errorLabel, NodeStoppedError } from './errors.ts'
import { ReplicationFailedError, ReplicationStoppedError } from './vguarddb.ts'
import { isOwnError, isRequestError } from './own-errors.ts'
import { ChainRecoveryError, CommitTimeoutError, ConsensusStoppedError, NoLeaderError, NoQuorumError, NotProposerError, OwnChainConflictError, ProposerUnreachableError, RefusedWriteError, retryAdvice } from './consensus-errors.ts'

/**
 * A retry's look-up of its earlier attempt on the disk (rememberedWrite)
 * that failed: that attempt may have committed, and proposing this one could
 * commit it twice, as for one of unknown fate (an audit: LevelDB's bare IO
 * error reached the caller of a keyed write with no flag). A database closed
 * with its node stays as it is: the stop's own answer (keyedFailure, closedUnder).
 */
export function unreadEarlier (err: Error, chainId: string, keyed: boolean): Error {
  if (isDatabaseClosed(err)) return err
  return new CommitTimeoutError(`an earlier attempt of this write to ${chainId} may have committed, and this node could not read what it remembers of it ` +
    `(${errorLabel(err)}: ${err.message}): it is not proposed again here (that could commit it twice) ${retryAdvice(keyed)}`, { cause: err })
}

/** Rebuilds a keyed write's error of one kind with the key's words and mayHaveCommitted; null leaves it to the rules after the table. */
type Flagged = (err: Error, message: string) => Error | null

/**
 * The errors of ours a keyed write's failure keeps, each with its kind and
 * HTTP status, now flagged mayHaveCommitted: each speaks of this attempt, and
 * an earlier one under the key (keyedFailure) may have gone another way.
 * Checked in order, by class (a subclass first); one already flagged stays
 * as it is. Until 2026-12-03 a chain not found (404) and a peer's bad answer
 * (502, 503 cut off) of no flag became CommitTimeoutError (503): they keep
 * their status now.
 */
const KEYED_FLAGGED: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, Flagged]> = [
  // a store that stopped on a failed write refuses this attempt (one closed with its node is isDatabaseClosed's, above)
  [StoreClosedError, (err, m) => (err as StoreClosedError).closed ? null : new StoreClosedError(m, false, true)],
  // no quorum for this attempt: the key's outcome is not known either way, as for a proposal not decided in time (503)
  [NoQuorumError, fromMessage(m => new CommitTimeoutError(m))],
  [ConsensusStoppedError, fromMessage(m => new ConsensusStoppedError(m, true))],
  [DiskFullError, fromMessage(m => new DiskFullError(m, true))],
  [NoLeaderError, fromMessage(m => new NoLeaderError(m, true))],
  [ProposerUnreachableError, fromMessage(m => new ProposerUnreachableError(m, true))],
  // a vehicle that lost its database and cannot fetch its chain back: the blocks it lacks may hold an earlier attempt
  [ChainRecoveryError, fromMessage(m => new ChainRecoveryError(m, true))],
  // a service of ours not started (yet, or any more) ran nothing of this attempt
  [NotStartedError, fromMessage(m => new NotStartedError(m, true))],
  // a proposer that does not lead the chain took nothing of this attempt; an earlier one went elsewhere, maybe
  [NotProposerError, (err, m) => new NotProposerError(m, (err as NotProposerError).leader, true)],
  // our chain went another way than our backups': still a conflict, and 409 (the operator's recovery is the same)
  [OwnChainConflictError, fromMessage(m => new OwnChainConflictError(m, true))],
  [RefusedWriteError, fromMessage(m => new RefusedWriteError(m, true))],
  [NodeStoppedError, fromMessage(m => new NodeStoppedError(m, true))],
  [TimeoutError, fromMessage(m => new TimeoutError(m, true))],
  [ProtocolError, fromMessage(m => new ProtocolError(m, true))],
  [ReplicationStoppedError, fromMessage(m => new ReplicationStoppedError(m, true))],
  // the chain is not held here (404): this attempt found none; an earlier one, through a node that held it, may commit
  [ChainNotFoundError, fromMessage(m => new ChainNotFoundError(m, true))],
  // a peer's answer to this attempt that broke the protocol (502), or was cut off (503): its subclasses first
  [AnswerCutOffError, fromMessage(m => new AnswerCutOffError(m, true))],
  [MalformedMessageError, fromMessage(m => new MalformedMessageError(m, true))],
  [InvalidMessageError, fromMessage(m => new InvalidMessageError(m, true))],
  // the peer asked lacked what this attempt needed (404)
  [NotFoundError, fromMessage(m => new NotFoundError(m, true))]
]

/** A row's rebuild that needs the message alone. */
function fromMessage (make: (message: string) => Error): Flagged {
  return (_err, message) => make(message)
}

/**
 * A keyed write's failure that says nothing was written speaks for this
 * attempt only: an earlier attempt under the same key — made through another
 * node, or before a restart (whose memory is gone), or sent by a proposer
 * that crashed while its own acceptance was written (accepts leave
 * meanwhile), or held by a minority of a booth that a later phase 1 may
 * still choose — is not known here. The caller asks about the key, not the
 * attempt: "may have committed", and a retry with the key gets the outcome
 * (soaks: retries on a restarted proposer and through restarted non-leaders
 * heard "nothing written", and the first attempt had committed).
 */
export function keyedFailure (thrown: unknown, where = 'through another node, or before a restart'): Error {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown))
  // the attempt's own words stay, said of the attempt
  const attempt = err.message
    // at the start (OwnChainConflictError's "nothing was written: …") it opens the message as it did
    .replace(/(:)? ?;? ?nothing was written( anywhere)?/, (_all, colon: string | undefined, _anywhere: string | undefined, at: number) =>
      colon != null ? ': this attempt wrote nothing' : at === 0 ? 'this attempt wrote nothing' : '; this attempt wrote nothing')
    .replace(/\bNothing was written\b/, 'This attempt wrote nothing')
    .replace('nothing was sent: the write is not committed', 'this attempt was not sent')
  const message = `${attempt}; an earlier attempt under the same idempotency key (${where}) may still commit, whole or not at all: a retry with the key gets its outcome`
  // still running when the stop gave up waiting for it (VGuardNode.stop): it may have been proposed, or decided and
  // not yet answered (a test: LevelDB's "Database is not open", with no flag)
  if (isDatabaseClosed(err)) {
    return new NodeStoppedError(`the node stopped and closed its database while this write was under way (${err.message}): it may have been proposed ` +
      `before, and it or an earlier attempt under the same idempotency key (${where}) may still commit, whole or not at all: a retry with the key gets its outcome`, true)
  }
  // one of ours that speaks of this attempt keeps its kind and status, flagged (KEYED_FLAGGED)
  const row = KEYED_FLAGGED.find(([kind]) => err instanceof kind)
  if (row != null && (err as { mayHaveCommitted?: unknown }).mayHaveCommitted !== true) {
    const flagged = row[1](err, message)
    if (flagged != null) return flagged
  }
  // a request that is no valid write (its transactions, its key, its booth, a timeout out of range): refused before
  // any attempt, and so would every attempt of it be: an earlier attempt under the key answered by a retry is one of
  // the same payload (idempotentRef hashes key and payload), refused alike. It stays, a 400 the caller must fix
  if (isRequestError(err)) return err
  // one of ours that says itself the write may have committed keeps its kind and status
  if ((err as { mayHaveCommitted?: unknown }).mayHaveCommitted === true) return err
  // any other error (LevelDB's, the disk's, a lower layer's TypeError, AbortError or StreamResetError, or one of ours
  // that has no flag and no row in KEYED_FLAGGED: a read's QuorumReadError, NoHolderReachableError) says nothing of an earlier attempt, which may have committed (an
  // audit: LevelDB's bare IO error, no flag; then a TypeError or libp2p's errors still passed, their name not 'Error';
  // then our own errors of no flag passed as they were: a review)
  return new CommitTimeoutError(`${isOwnError(err) ? err.name : errorLabel(err)}: ${message}`, { cause: thrown })
}

/**
 * What an end of booth hears when the replication round after its block
 * failed: the block is committed whatever ended its round, and the error says
 * so, naming the block, with mayHaveCommitted (a test: a stop's cut said so
 * of the chain's tip alone, and a conflict the round found said nothing of
 * it: a keyed caller, and the HTTP body, could not tell the block from a
 * lost one). An error that can carry the flag keeps its kind (and its HTTP
 * status); any other becomes ReplicationFailedError.
 */
export function roundFailure (err: Error, height: number, keyed: boolean): Error {
  const advice = keyed ? retryAdvice(true) : '(do not send it again: a retry would append it twice)'
  const committed = `the end of booth's block (height ${height}) is committed`
  if (err.name === 'ReplicationStoppedError') return new ReplicationStoppedError(`${committed}; its replication round was cut: ${err.message} ${advice}`, true)
  const message = `${committed}; its replication round failed: ${err.message} ${advice}`
  if (err instanceof OwnChainConflictError) return new OwnChainConflictError(message, true)
  if (err instanceof DiskFullError) return new DiskFullError(message, true)
  if (err instanceof StoreClosedError) return new StoreClosedError(message, err.closed, true)
  return new ReplicationFailedError(`${committed}; its replication round failed: ${err.name !== 'Error' ? `${err.name}: ` : ''}${err.message} ${advice}`, height, { cause: err })
}

/**
 * How far an unkeyed write went: `mayBeProposed` from the moment it goes to its replica or its proposer,
 * before the attempt's outcome (an error from then on may come after a proposal). Not appendShared's
 * `attempts.held`, set after an attempt that failed when a leader may still hold the write: one
 * refused, or never sent, sets this and not that.
 */
export interface WriteProgress {
  mayBeProposed: boolean
}

/**
 * An unkeyed write still under way when the node's stop gave up waiting for
 * it and closed the database (VGuardNode.stop) met LevelDB's bare "Database
 * is not open" (a test; HTTP already said 503 NodeStoppedError, with no
 * flag): NodeStoppedError, with mayHaveCommitted once the write was handed
 * to its replica or proposer. A keyed one's is keyedFailure's.
 */
export function closedUnder (err: Error, mayBeProposed: boolean): Error {
  if (!isDatabaseClosed(err)) return err
  if (!mayBeProposed) return new NodeStoppedError(`the node stopped and closed its database before this write was proposed (${err.message}): nothing was written`)
  return new NodeStoppedError(`the node stopped and closed its database while this write was under way (${err.message}): it may have been proposed, ` +
    `and may still commit, whole or not at all ${retryAdvice(false)}`, true)
}

/**
 * What an unkeyed write's failure says (a keyed one's is keyedFailure's):
 * the database closed under it, as closedUnder says; an error of no kind of
 * ours (a lower layer's TypeError, LevelDB's or the disk's bare error) once
 * it was handed to its replica or its proposer, CommitTimeoutError naming
 * the error: it may have been proposed, and may still commit, whole or not
 * at all (it was HTTP 500 with no flag, read as a plain failure: a review).
 * Before that point, and for an error of ours (which says itself whether the
 * write may have committed), it stays as it is.
 */
export function unkeyedFailure (thrown: unknown, mayBeProposed: boolean): Error {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown))
  if (isDatabaseClosed(err)) return closedUnder(err, mayBeProposed)
  if (!mayBeProposed || isOwnError(err)) return err
  return new CommitTimeoutError(`${errorLabel(err)}: ${err.message}, after this write was proposed: it may still commit, whole or not at all ${retryAdvice(false)}`, { cause: thrown })
}

/**
 * How far an unkeyed end of booth's block went: `mayBeAppended` from the
 * moment it is handed to the store directly (before consensus runs on our
 * chain), `mayBeProposed` (WriteProgress) from its hand-over to our replica.
 */
export interface BoothProgress extends WriteProgress {
  mayBeAppended: boolean
}

/**
 * What an unkeyed end of booth's failure says, by unkeyedFailure's rule (a
 * keyed one's is keyedFailure's, its failed round's roundFailure's): an
 * error of no kind of ours once its block went to the store or was
 * proposed becomes CommitTimeoutError naming the error: the block may have
 * been appended, or may still commit (it was HTTP 500 with no flag: a
 * review). Before that point, and for an error of ours (which says itself
 * whether the block may be in the chain), it stays as it is. A database
 * closed under a proposed block is closedUnder's NodeStoppedError, with the
 * flag; under the direct append it stays: the append takes it for a
 * refusal before its block was written (end-of-booth-append.ts), and a stop
 * waits for that append before it closes the database.
 */
export function unkeyedBoothFailure (thrown: unknown, progress: BoothProgress): Error {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown))
  if (progress.mayBeProposed && isDatabaseClosed(err)) {
    return new NodeStoppedError(`the node stopped and closed its database while the end of booth's block was under way (${err.message}): it may have been proposed, ` +
      `and may still commit, whole or not at all ${retryAdvice(false)}`, true)
  }
  if (isOwnError(err)) return err
  if (progress.mayBeProposed) {
    return new CommitTimeoutError(`${errorLabel(err)}: ${err.message}, after the end of booth's block was proposed: it may still commit, whole or not at all ${retryAdvice(false)}`, { cause: thrown })
  }
  if (!progress.mayBeAppended || isDatabaseClosed(err)) return err
  return new CommitTimeoutError(`${errorLabel(err)}: ${err.message}, after the end of booth's block went to the store: it may have been appended ` +
    '(read the chain before sending it again: a retry may append it twice)', { cause: thrown })
}
