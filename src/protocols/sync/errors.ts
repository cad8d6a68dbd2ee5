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
