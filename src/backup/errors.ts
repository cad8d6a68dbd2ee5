export type InvalidTableReason = 'Malformed' | 'BadSignature' | 'WrongSigner' | 'NotOwner' | 'Stale' | 'Oversized'

/** A backup table that is malformed, forged, not from the chain's owner, or not newer than what we hold. */
export class InvalidBackupTableError extends Error {
  static name = 'InvalidBackupTableError'
  readonly reason: InvalidTableReason
  constructor (reason: InvalidTableReason, message = `Invalid backup table: ${reason}`) {
    super(message)
    this.name = 'InvalidBackupTableError'
    this.reason = reason
  }
}

/** Fewer than k vehicles could take a copy of the chain. */
export class InsufficientBackupsError extends Error {
  static name = 'InsufficientBackupsError'
  constructor (message = 'Not enough backup candidates') {
    super(message)
    this.name = 'InsufficientBackupsError'
  }
}
