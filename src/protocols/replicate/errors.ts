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
  constructor (message = 'Backup refused the transfer') {
    super(message)
    this.name = 'ReplicateRefusedError'
  }
}
