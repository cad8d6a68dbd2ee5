/**
 * The write never left this node: no stream to the proposer could be opened
 * (it is unreachable, or refused the protocol). Nothing of it can commit.
 */
export class WriteNotSentError extends Error {
  static name = 'WriteNotSentError'
  constructor (message = 'The write was not sent') {
    super(message)
    this.name = 'WriteNotSentError'
  }
}
