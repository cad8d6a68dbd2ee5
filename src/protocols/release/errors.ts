/** The backup holds a newer table than the release carried: nothing changed. */
export class StaleReleaseError extends Error {
  static name = 'StaleReleaseError'
  constructor (message = 'Release is older than the table the backup holds') {
    super(message)
    this.name = 'StaleReleaseError'
  }
}

/** The backup found the release malformed, forged or not from the chain's owner. */
export class ReleaseRejectedError extends Error {
  static name = 'ReleaseRejectedError'
  constructor (message = 'Release rejected') {
    super(message)
    this.name = 'ReleaseRejectedError'
  }
}

/**
 * The backup could not carry the release out (its disk, say: ERROR) or
 * answered a status this version does not know: nothing says it never will,
 * so the proposer tries again later.
 */
export class ReleaseFailedError extends Error {
  static name = 'ReleaseFailedError'
  constructor (message = 'Release failed on the backup') {
    super(message)
    this.name = 'ReleaseFailedError'
  }
}
