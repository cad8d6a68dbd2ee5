/**
 * Errors of the sync protocol beyond the shared ones in ../errors.ts.
 */
import { NOT_A_MEMBER } from '../read/membership.ts'

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
 * `reason` is the responder's. Nothing was fetched.
 *
 * `lasting`: the responder's word (SyncResponse `lasting`). It refuses for
 * a lasting reason what its `refusal` (MembershipCheck) names, reasons
 * waiting does not change (two processes run this node's identity): asking
 * again soon would be answered the same. It refuses for a passing one a node
 * its peering did not admit within its membership wait (NOT_A_MEMBER): its
 * identify of us may still be running, or a suspected clone not yet cleared,
 * and asked a moment later it may serve. A responder of 2026-12-01 sends no
 * such word, and its reason is read as it then meant: any but NOT_A_MEMBER
 * lasts (until then the asker read every answer so, and a reworded reason
 * would have changed what it did).
 */
export class SyncRefusedError extends Error {
  static name = 'SyncRefusedError'
  /** Why, in the responder's words. */
  readonly reason: string
  /** Whether asking again soon would only be refused again (see above). */
  readonly lasting: boolean
  constructor (message = 'The peer refused to sync with this node', reason = '', lasting?: boolean) {
    super(message)
    this.name = 'SyncRefusedError'
    this.reason = reason
    // unsaid and no reason given: nothing says it lasts, so it is treated as one that may pass
    this.lasting = lasting ?? (reason !== '' && reason !== NOT_A_MEMBER)
  }
}
