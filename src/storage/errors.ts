/**
 * Errors of the chain store. Appends that do not extend the tip throw the
 * chain module's InvalidBlockError (with its reason); reads of pruned values
 * throw PayloadPrunedError. Both are re-exported here.
 */
export { InvalidBlockError, PayloadPrunedError } from '../chain/errors.ts'

/** The store was closed; no more writes are accepted. */
export class StoreClosedError extends Error {
  static name = 'StoreClosedError'
  constructor (message = 'Chain store is closed') {
    super(message)
    this.name = 'StoreClosedError'
  }
}

/** A pin is malformed (empty or oversized key, empty or inverted range). */
export class InvalidPinError extends Error {
  static name = 'InvalidPinError'
  constructor (message = 'Invalid pin') {
    super(message)
    this.name = 'InvalidPinError'
  }
}

/** The chain is not held by this node. */
export class ChainNotFoundError extends Error {
  static name = 'ChainNotFoundError'
  constructor (message = 'Chain not found') {
    super(message)
    this.name = 'ChainNotFoundError'
  }
}
