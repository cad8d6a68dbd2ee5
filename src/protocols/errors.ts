/**
 * Errors shared by the vguard stream protocols, shaped like
 * `@libp2p/interface` errors: branch on `err.name`, never on the message.
 */

/** A remote peer sent a message that is malformed, oversized or out of order. */
export class InvalidMessageError extends Error {
  static name = 'InvalidMessageError'
  /** A keyed write's: a peer answered this attempt wrongly, an earlier one under its key may commit (keyedFailure, src/node/write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Invalid message', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'InvalidMessageError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/**
 * A peer's message arrived whole but does not decode (protobuf that breaks
 * its schema): the peer answered, wrongly. An InvalidMessageError too; one
 * cut short or over a size limit is a plain InvalidMessageError.
 */
export class MalformedMessageError extends InvalidMessageError {
  static name = 'MalformedMessageError'
  constructor (message = 'Malformed message', mayHaveCommitted?: boolean) {
    super(message, mayHaveCommitted)
    this.name = 'MalformedMessageError'
  }
}

/**
 * A peer's answer ended before it was whole: the peer went away (killed, its
 * connection lost) or closed the stream mid-answer. An InvalidMessageError
 * too, named apart: "malformed" sent operators looking for a version
 * mismatch when a backup had simply died during a transfer (a probe).
 */
export class AnswerCutOffError extends InvalidMessageError {
  static name = 'AnswerCutOffError'
  constructor (message = 'The answer was cut off', mayHaveCommitted?: boolean) {
    super(message, mayHaveCommitted)
    this.name = 'AnswerCutOffError'
  }
}

/**
 * The remote peer answered with an error status, or broke the protocol's rules.
 * `mayHaveCommitted`: the peer was a forwarded write's proposer and took the
 * write before its answer broke the rules (an OK without a block, a status
 * not known here): the write may still commit, and a caller must not take it
 * for lost.
 */
export class ProtocolError extends Error {
  static name = 'ProtocolError'
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Protocol error', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'ProtocolError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** An exchange did not finish within its time limit. */
export class TimeoutError extends Error {
  static name = 'TimeoutError'
  /** A keyed write's: this attempt timed out, an earlier one under its key may commit (keyedFailure, src/node/write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Timed out', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'TimeoutError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/**
 * No address of the peer is known: it is not connected, and no peer told
 * this node where it is. libp2p says only "The dial request has no valid
 * addresses", which read as a bad configuration inside a write's error.
 */
export class PeerAddressUnknownError extends Error {
  static name = 'PeerAddressUnknownError'
  constructor (message = 'no address of the peer is known') {
    super(message)
    this.name = 'PeerAddressUnknownError'
  }
}

/** The remote peer does not have what was asked for. */
export class NotFoundError extends Error {
  static name = 'NotFoundError'
  /** A keyed write's: the peer did not have what this attempt asked for, an earlier one under its key may commit (keyedFailure, src/node/write-failures.ts). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Not found', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'NotFoundError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** The service is not running (stopped, or not started yet). */
export class NotStartedError extends Error {
  static name = 'NotStartedError'
  /** A keyed write refused by a node not started: this attempt ran nothing, an earlier one under its key may commit (VGuardNode.append). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'Service not started', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'NotStartedError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}

/** The stream ended (closed or reset) while a write waited for it to take more bytes. */
export class StreamEndedError extends Error {
  static name = 'StreamEndedError'
  constructor (message = 'the stream ended while a write waited for room') {
    super(message)
    this.name = 'StreamEndedError'
  }
}

/**
 * Our own request is over the limit the protocol's server reads (its
 * MAX_REQUEST_BYTES): refused here before a stream is opened, since the server
 * would only reset the stream at the limit (the caller saw a StreamResetError,
 * and a redirect read tried every holder with it). The caller's fault: no peer
 * was asked.
 */
export class RequestTooLargeError extends Error {
  static name = 'RequestTooLargeError'
  constructor (message = 'The request is over the protocol\'s request limit') {
    super(message)
    this.name = 'RequestTooLargeError'
  }
}
