/**
 * Errors of writing through consensus and of consistent reads. Branch on
 * `err.name`; src/http/errors.ts maps each to a status code.
 */

/**
 * No majority of the chain's booth is reachable: the write was never
 * proposed, nothing of it is visible anywhere, and it may be retried.
 */
export class NoQuorumError extends Error {
  static name = 'NoQuorumError'
  constructor (message = 'No quorum of the booth is reachable') {
    super(message)
    this.name = 'NoQuorumError'
  }
}

/**
 * The write was proposed but not decided in time (its booth lost its
 * majority meanwhile), or handed to the shared chain's leader, which did not
 * answer before the write's timeout. It may still commit, as a whole block,
 * once the booth recovers; it is never half applied. Also a retry whose
 * earlier attempt may have committed and this node cannot tell (its fate is
 * unknown here, or what the disk remembers of it could not be read), and a
 * keyed write's failure that says nothing of an earlier attempt (a
 * NoQuorumError, an error not of ours or of ours with no flag to carry:
 * keyedFailure in write-failures.ts, own-errors.ts),
 * an unkeyed write's error not of ours once it may have been proposed (unkeyedFailure),
 * and a proposer's answer that it failed a forwarded write with an error not
 * known here (write-forwarding.ts): it took the write.
 */
export class CommitTimeoutError extends Error {
  static name = 'CommitTimeoutError'
  /** Always: the error says so by its name too (and the HTTP body carries it, as other errors' flag) */
  readonly mayHaveCommitted = true
  constructor (message = 'The write was proposed but not decided in time; it may still commit', options?: ErrorOptions) {
    super(message, options)
    this.name = 'CommitTimeoutError'
  }
}

/**
 * The shared chain has no known leader (no shared chain yet, or an election
 * is running), or none took the write before its timeout (then nothing of
 * this attempt was written; one a leader took and did not answer in time is
 * a CommitTimeoutError). `mayHaveCommitted`: an earlier attempt under the
 * same idempotency key may still commit.
 */
export class NoLeaderError extends Error {
  static name = 'NoLeaderError'
  readonly mayHaveCommitted: boolean
  constructor (message = 'No leader is known for this chain', mayHaveCommitted = false) {
    super(message)
    this.name = 'NoLeaderError'
    this.mayHaveCommitted = mayHaveCommitted
  }
}

/**
 * The chain's proposer (the vehicle itself, or the shared chain's leader)
 * could not be reached (the message says nothing was sent: the write is not
 * committed), or its answer was lost or malformed: a write that reached it
 * may still commit (retried with the same idempotency key, it is answered,
 * not committed again).
 */
export class ProposerUnreachableError extends Error {
  static name = 'ProposerUnreachableError'
  /** True when the write was sent and its answer lost: it may still commit. */
  readonly mayHaveCommitted: boolean
  constructor (message = 'The chain\'s proposer is unreachable', mayHaveCommitted = false) {
    super(message)
    this.name = 'ProposerUnreachableError'
    this.mayHaveCommitted = mayHaveCommitted
  }
}

/** This node does not propose that chain and will not take the write (e.g. a forwarded write for a chain it does not own). */
export class NotProposerError extends Error {
  static name = 'NotProposerError'
  readonly leader?: string
  /** A keyed write's: this attempt was not taken, an earlier one under its key may commit (keyedFailure, write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'This node is not the chain\'s proposer', leader?: string, mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'NotProposerError'
    this.leader = leader
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** A quorum read found no value that enough holders agree on. */
export class QuorumReadError extends Error {
  static name = 'QuorumReadError'
  readonly details?: Record<string, unknown>
  constructor (message = 'No value is held by a read quorum', details?: Record<string, unknown>) {
    super(message)
    this.name = 'QuorumReadError'
    this.details = details
  }
}

/**
 * The node is stopping or consensus is not running. `mayHaveCommitted` is
 * true for a write that was proposed (or handed to the shared chain's leader)
 * before the stop and not decided yet: the booth may still decide it, whole
 * or not at all; a retry with the same idempotency key is answered with that
 * commit, not committed again. False: nothing of the write was written.
 */
export class ConsensusStoppedError extends Error {
  static name = 'ConsensusStoppedError'
  readonly mayHaveCommitted: boolean
  constructor (message = 'Consensus is not running', mayHaveCommitted = false) {
    super(message)
    this.name = 'ConsensusStoppedError'
    this.mayHaveCommitted = mayHaveCommitted
  }
}

/**
 * The chain store holds another block at a height than the chain's booth
 * decided: the data dir was restored from an older copy, or lost its
 * database, and the chain went on without it. Consensus on the chain stops:
 * a write it decides could not be stored, and must not be acknowledged.
 */
export class ChainDivergedError extends Error {
  static name = 'ChainDivergedError'
  constructor (message = 'The chain store and consensus disagree') {
    super(message)
    this.name = 'ChainDivergedError'
  }
}

/**
 * A vehicle behind its own booth (a restored or wiped data dir) could not
 * fetch its chain from any vehicle that holds it, up to where its booth says
 * it stands.
 */
export class ChainRecoveryError extends Error {
  static name = 'ChainRecoveryError'
  /**
   * A keyed write's: this attempt wrote nothing, but an earlier one under its key (before the
   * database was lost, say) may be in the blocks not fetched back (keyedFailure, write-failures.ts).
   */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'The chain could not be fetched from its holders', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'ChainRecoveryError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/**
 * A local read of this vehicle's own chain while it lost its database and
 * its chain is not back from the vehicles that hold it: the store would
 * answer that keys it acknowledged have no value (HTTP 503).
 */
export class OwnChainNotBackError extends Error {
  static name = 'OwnChainNotBackError'
  constructor (message = 'this node lost its database and its own chain is not back yet') {
    super(message)
    this.name = 'OwnChainNotBackError'
  }
}

/** A forwarded write for a chain this node does not propose (another vehicle's). */
export class RefusedWriteError extends Error {
  static name = 'RefusedWriteError'
  /** A keyed write's: this attempt was refused, an earlier one under its key may commit (keyedFailure, write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'This node does not write that chain', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'RefusedWriteError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** A read that makes no sense: a height below 1 or not an integer, an unknown consistency, an empty key, a chain id no node can have. */
export class InvalidReadError extends Error {
  static name = 'InvalidReadError'
  constructor (message = 'Invalid read') {
    super(message)
    this.name = 'InvalidReadError'
  }
}

/**
 * What a write that may still commit tells its caller about a retry: a
 * keyed one is answered, an unkeyed one may commit twice (a soak's unkeyed
 * write was told to retry with "the same idempotency key" it never had).
 */
export function retryAdvice (keyed: boolean): string {
  return keyed
    ? '(a retry with the same idempotency key is answered, not committed again)'
    : '(a retry may commit it twice: an idempotency key makes a retry safe)'
}

/**
 * Our own chain does not hold the block our newest table names (the one our
 * backups hold): it went another way, so a round would replace their copies
 * with it (HTTP 409). A vehicle that lost its database and wrote alone, with
 * none of its backups reachable, did so (a probe: acknowledged blocks gone
 * from every copy).
 */
/** What an OwnChainConflictError tells the operator to do (docs/consensus.md, errors). */
export const OWN_CONFLICT_RECOVERY = 'To go on with the backups\' chain, stop the node, move its data dir aside but peer.key and own-chain.json, ' +
  'and start it: it then writes nothing before it has their chain'

export class OwnChainConflictError extends Error {
  static name = 'OwnChainConflictError'
  /**
   * Set when the conflict was found by an end of booth's round, after its block was committed, and for a keyed
   * write refused for it: this attempt wrote nothing, an earlier one under its key may commit (keyedFailure, write-failures.ts).
   */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'our chain does not hold what our backups hold', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'OwnChainConflictError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}
