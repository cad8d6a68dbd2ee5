/**
 * The errors of ours a write can end with, each with an HTTP status of its
 * own (src/http/errors.ts; a unit test holds the two together): a keyed
 * write's failure of one of these keeps its kind (keyedFailure, write-failures.ts)
 * when it carries mayHaveCommitted (keyedFailure sets it on those it knows)
 * or says the request is no valid write (REQUEST_ERRORS, below); any other
 * becomes CommitTimeoutError with mayHaveCommitted (until 2026-12-03 one of
 * ours passed as it was, with no flag: a review). Told by class,
 * not by name: libp2p's NotStartedError, AbortSignal.timeout's TimeoutError
 * and libp2p's InvalidMessageError share names with ours and say nothing of
 * the write. A class of ours missing here only costs its kind: the keyed
 * write is answered "may have committed", which is never wrong.
 */
import { InvalidTransactionError } from '../chain/errors.ts'
import { InvalidBoothError as InvalidPaxosBoothError, InvalidMessageError as InvalidPaxosMessageError } from '../consensus/errors.ts'
import { InvalidMessageError, NotFoundError, NotStartedError, ProtocolError, TimeoutError } from '../protocols/errors.ts'
import { NoHolderReachableError } from '../protocols/read/errors.ts'
import { ChainNotFoundError, DiskFullError, InvalidArgumentError, InvalidPinError, StoreClosedError } from '../storage/errors.ts'
import { InvalidBoothError } from './booth-input.ts'
import { ConfigError } from './config.ts'
import {
  ChainRecoveryError, CommitTimeoutError, ConsensusStoppedError, InvalidReadError, NoLeaderError, NoQuorumError, NotProposerError, OwnChainConflictError,
  OwnChainNotBackError, ProposerUnreachableError, QuorumReadError, RefusedWriteError
} from './consensus-errors.ts'
import { NodeStoppedError } from './errors.ts'
import { InvalidIdempotencyKeyError } from './idempotency.ts'
import { ReplicationFailedError, ReplicationStoppedError } from './vguarddb.ts'

export const OWN_ERRORS: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  // consensus writes and reads
  NoQuorumError, CommitTimeoutError, NoLeaderError, NotProposerError, ProposerUnreachableError, ConsensusStoppedError, RefusedWriteError,
  ChainRecoveryError, OwnChainConflictError, OwnChainNotBackError, QuorumReadError, InvalidReadError, NoHolderReachableError,
  // the node's
  NodeStoppedError, ConfigError, InvalidIdempotencyKeyError, InvalidBoothError, InvalidPaxosBoothError, ReplicationStoppedError, ReplicationFailedError,
  // the write's input
  InvalidTransactionError,
  // the stores'
  StoreClosedError, DiskFullError, ChainNotFoundError, InvalidArgumentError, InvalidPinError,
  // the protocols' (a peer's answer, or a service of ours)
  ProtocolError, InvalidMessageError, InvalidPaxosMessageError, NotFoundError, NotStartedError, TimeoutError
]

/** Whether `err` is one of ours (OWN_ERRORS, or a subclass of one: AnswerCutOffError, TooFewHoldersError). */
export function isOwnError (err: unknown): boolean {
  return OWN_ERRORS.some(kind => err instanceof kind)
}

/**
 * Ours that say the request is no valid write (HTTP 400): refused before any attempt of it, as every attempt
 * of the same payload would be. A keyed write's keeps its words: no earlier attempt of it can have committed.
 */
export const REQUEST_ERRORS: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  InvalidTransactionError, InvalidIdempotencyKeyError, InvalidBoothError, InvalidPaxosBoothError, ConfigError, InvalidArgumentError, InvalidPinError, InvalidReadError
]

/** Whether `err` says its request is no valid write (REQUEST_ERRORS). */
export function isRequestError (err: unknown): boolean {
  return REQUEST_ERRORS.some(kind => err instanceof kind)
}
