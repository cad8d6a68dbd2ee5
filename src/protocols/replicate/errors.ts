/** The backup has no room for the chain. */
export class NoCapacityError extends Error {
  static name = 'NoCapacityError'
  constructor (message = 'Backup has no capacity for the chain') {
    super(message)
    this.name = 'NoCapacityError'
  }
}

/** The backup refused the transfer (not the owner, invalid blocks, internal error). */
export class ReplicateRefusedError extends Error {
  static name = 'ReplicateRefusedError'
  /**
   * The status it was refused with: ReplicateResponse.Status's name (`FORBIDDEN`,
   * `INVALID`, `ERROR`), or the number of one not known here. Told by this,
   * never by the message, which carries the backup's own words.
   */
  readonly status: string
  constructor (message = 'Backup refused the transfer', status = 'ERROR') {
    super(message)
    this.name = 'ReplicateRefusedError'
    this.status = status
  }
}

/**
 * The backup holds a copy of the chain that went another way than ours, and
 * the transfer was asked not to replace it (ReplicateOptions.keepDiverged):
 * nothing was sent.
 */
export class DivergedCopyError extends Error {
  static name = 'DivergedCopyError'
  constructor (message = 'The backup holds a copy of the chain that went another way') {
    super(message)
    this.name = 'DivergedCopyError'
  }
}
