/**
 * Errors of the sync protocol beyond the shared ones in ../errors.ts.
 */

/**
 * The local chain moved on during a fetch: another writer (replication,
 * consensus) appended the blocks the peer was sending. Not the peer's fault.
 */
export class ChainMovedError extends Error {
  static name = 'ChainMovedError'
  constructor (message = 'The local chain moved on during the fetch') {
    super(message)
    this.name = 'ChainMovedError'
  }
}

/**
 * The peer sent too little for too long (PROGRESS_BYTES per TIMEOUT waited
 * on it): dropped from this reconcile, the next peer is asked; what it sent
 * stays. Not final: it may be slow for a while only.
 */
export class SlowPeerError extends Error {
  static name = 'SlowPeerError'
  constructor (message = 'The peer sends too slowly') {
    super(message)
    this.name = 'SlowPeerError'
  }
}

/**
 * The local chain was deleted during a fetch that was only to extend it: a
 * copy released meanwhile (release-and-forward). Nothing more is fetched;
 * fetching it back from nothing would undo the release. Not the peer's fault.
 */
export class ChainGoneError extends Error {
  static name = 'ChainGoneError'
  constructor (message = 'The local chain was deleted during the fetch') {
    super(message)
    this.name = 'ChainGoneError'
  }
}

/**
 * The node has no room for more of the chain: a copy held for another vehicle
 * counts against its capacity and its disk's reserve, as a replicate transfer
 * does. The blocks that fitted stay (they extend the chain validly); the rest
 * is not fetched. Not the peer's fault.
 */
export class NoRoomError extends Error {
  static name = 'NoRoomError'
  constructor (message = 'No room for more of the chain') {
    super(message)
    this.name = 'NoRoomError'
  }
}

/**
 * Nobody this node trusts vouches for the blocks of a chain that this peer
 * would serve: it is not the chain's owner, and no tip signed by the owner is
 * known here. Nothing was fetched.
 */
export class NotVouchedError extends Error {
  static name = 'NotVouchedError'
  constructor (message = 'No trusted tip vouches for these blocks') {
    super(message)
    this.name = 'NotVouchedError'
  }
}

/**
 * A chain id no request can carry: empty, or longer than MAX_CHAIN_ID_BYTES.
 * Refused before anything is sent (sent, it went past the request's size
 * bound, the responder reset the stream, and the caller read "broke off").
 */
export class InvalidChainIdError extends Error {
  static name = 'InvalidChainIdError'
  constructor (message = 'Invalid chain id') {
    super(message)
    this.name = 'InvalidChainIdError'
  }
}

/**
 * The responder refused this node before reading its request (SyncResponse
 * ERROR with `refused`): it does not count it a member of its network, or
 * keeps it out for a lasting reason (two processes run its identity).
 * `reason` is the responder's. Asking that peer again soon changes nothing
 * (a refusal for a lasting reason ends only when the reason does); nothing
 * was fetched.
 */
export class SyncRefusedError extends Error {
  static name = 'SyncRefusedError'
  /** Why, in the responder's words. */
  readonly reason: string
  constructor (message = 'The peer refused to sync with this node', reason = '') {
    super(message)
    this.name = 'SyncRefusedError'
    this.reason = reason
  }
}
