/**
 * The errors a replication round hands its callers (consensus, the HTTP API,
 * the package's users), apart from VGuardDB so that a module that only tells
 * them apart need not import the storage layer's driver.
 */

/**
 * An end of booth's replication round failed (not cut by a stop: that is
 * ReplicationStoppedError) after its block was committed, with an error of no
 * kind that can say so itself: `height` is the block's, `cause` the round's
 * error. The block stays; the next round's backups get it.
 */
export class ReplicationFailedError extends Error {
  static name = 'ReplicationFailedError'
  readonly mayHaveCommitted = true
  readonly height: number
  constructor (message: string, height: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ReplicationFailedError'
    this.height = height
  }
}

/**
 * A replication round cut short, or not begun, because the node stops.
 * `mayHaveCommitted`: the round was a write's (an end of booth's), whose
 * block is committed; the caller must not take the write for lost.
 */
export class ReplicationStoppedError extends Error {
  static name = 'ReplicationStoppedError'
  readonly mayHaveCommitted?: boolean
  constructor (message = 'the node is stopping', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'ReplicationStoppedError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
  }
}
