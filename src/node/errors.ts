/**
 * The node was stopped: its database is closed and it does not start again
 * (createVGuardNode makes a new one on the same data dir).
 */
export class NodeStoppedError extends Error {
  static name = 'NodeStoppedError'
  constructor (message = 'the node was stopped') {
    super(message)
    this.name = 'NodeStoppedError'
  }
}
