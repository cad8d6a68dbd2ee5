/**
 * Errors of the chain store. Appends that do not extend the tip throw the
 * chain module's InvalidBlockError (with its reason); reads of pruned values
 * throw PayloadPrunedError. Both are re-exported here.
 */
export { InvalidBlockError, PayloadPrunedError } from '../chain/errors.ts'

/**
 * The store was closed (`closed`: true; its node stopped), or stopped taking
 * writes after one failed halfway (false: reopen it to recover).
 * `mayHaveCommitted`: a keyed write refused by it, an earlier attempt of
 * which may still commit (keyedFailure, src/node/write-failures.ts).
 */
export class StoreClosedError extends Error {
  static name = 'StoreClosedError'
  readonly closed: boolean
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Chain store is closed', closed = true, mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'StoreClosedError'
    this.closed = closed
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/**
 * The database's refusals once it is closed (LevelDB's codes), or the chain
 * store closed with its node: what a read or write still running when its
 * node stopped meets.
 */
const CLOSED_DATABASE_CODES: ReadonlySet<string> = new Set(['LEVEL_DATABASE_NOT_OPEN', 'LEVEL_DATABASE_NOT_CLOSED'])

/** Whether `err` says the node's database was closed under the caller (not a store stopped by a failed write). */
export function isDatabaseClosed (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'StoreClosedError') return (err as StoreClosedError).closed === true
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && CLOSED_DATABASE_CODES.has(code)
}

/** A pin is malformed (empty or oversized key, empty or inverted range). */
export class InvalidPinError extends Error {
  static name = 'InvalidPinError'
  constructor (message = 'Invalid pin') {
    super(message)
    this.name = 'InvalidPinError'
  }
}

/**
 * A read's argument no stored data can match: a range bound that is not an
 * integer, a key that is not well-formed unicode (a lone surrogate would be
 * read as U+FFFD, another key).
 */
export class InvalidArgumentError extends Error {
  static name = 'InvalidArgumentError'
  constructor (message = 'Invalid argument') {
    super(message)
    this.name = 'InvalidArgumentError'
  }
}

/** The chain is not held by this node. */
export class ChainNotFoundError extends Error {
  static name = 'ChainNotFoundError'
  /** A keyed write's: this attempt found no chain, an earlier one under its key may commit (keyedFailure, src/node/write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Chain not found', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'ChainNotFoundError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/**
 * The disk holding the data dir is full (ENOSPC, or a write the kernel cut
 * short). Nothing of the write it stopped is acknowledged; what was before
 * it stays readable, and a node restarted once there is room goes on.
 */
export class DiskFullError extends Error {
  static name = 'DiskFullError'
  /** Set for a write consensus had proposed when the disk filled: the rest of its booth may still decide it. */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'No space left on the device of the data dir', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'DiskFullError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** LevelDB's IO error for a full disk ("No space left on device") as DiskFullError; any other error as it is. */
export function asDiskFull (err: Error): Error {
  return /no space left on device/i.test(err.message) ? new DiskFullError(err.message) : err
}
