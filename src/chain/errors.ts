/**
 * Errors of the chain data model. Branch on `err.name` (and on
 * `InvalidBlockError.reason`), never on messages.
 */

/** Why a block was refused. */
export type InvalidBlockReason =
  /** the block belongs to another chain */
  | 'WrongChain'
  /** the height is not the tip height + 1 */
  | 'WrongHeight'
  /** prevHash is not the hash of the tip */
  | 'WrongPrevHash'
  /** the hash is not sha-256 of the header bytes */
  | 'BadHash'
  /** the header bytes are not the canonical encoding of the header */
  | 'NonCanonicalHeader'
  /** the header is malformed or breaks a limit */
  | 'BadHeader'
  /** the payload's sha-256 is not the header's payloadHash */
  | 'BadPayloadHash'
  /** the payload is malformed, not canonical, or disagrees with txCount/payloadBytes */
  | 'BadPayload'
  /** the payload is absent (pruned) where it is required */
  | 'MissingPayload'
  /** the block is not the one a tip this node trusts (a table its chain's owner signed) vouches for */
  | 'Unvouched'

/** A block does not verify, or does not extend the tip it was checked against. */
export class InvalidBlockError extends Error {
  static name = 'InvalidBlockError'
  readonly reason: InvalidBlockReason
  /** The height of the block refused, where the check knows it (a link to the tip). */
  readonly height?: number
  constructor (reason: InvalidBlockReason, message = `Invalid block: ${reason}`, height?: number) {
    super(message)
    this.name = 'InvalidBlockError'
    this.reason = reason
    if (height != null) this.height = height
  }
}

/** A transaction given to createBlock breaks a rule (empty or oversized key, value on a delete…). */
export class InvalidTransactionError extends Error {
  static name = 'InvalidTransactionError'
  constructor (message = 'Invalid transaction') {
    super(message)
    this.name = 'InvalidTransactionError'
  }
}

/** A block's payload was pruned by the retention policy; its header remains. */
export class PayloadPrunedError extends Error {
  static name = 'PayloadPrunedError'
  constructor (message = 'Payload pruned') {
    super(message)
    this.name = 'PayloadPrunedError'
  }
}
