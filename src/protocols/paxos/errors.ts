/**
 * Errors of the paxos transport; branch on `err.name`, never on the message.
 */

/**
 * A connection that carried an older process of a peer did not answer a
 * ping once a newer process of that peer spoke: the host restarted after a
 * crash and left the connection open. It is hung up with this error.
 */
export class OlderProcessGoneError extends Error {
  static name = 'OlderProcessGoneError'
  constructor (message = 'The older process of this peer is gone') {
    super(message)
    this.name = 'OlderProcessGoneError'
  }
}
