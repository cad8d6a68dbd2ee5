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

/**
 * The Node.js running the node is older than 22: libp2p 3 needs
 * Promise.withResolvers, and without it a node started and then died with a
 * bare TypeError from inside libp2p (a probe on Node 20).
 */
export class UnsupportedRuntimeError extends Error {
  static name = 'UnsupportedRuntimeError'
  constructor (message: string) {
    super(message)
    this.name = 'UnsupportedRuntimeError'
  }
}

/** @throws UnsupportedRuntimeError on a Node.js older than 22 */
export function checkRuntime (version = process.version): void {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? 0)
  if (major < 22) throw new UnsupportedRuntimeError(`vguard-node needs Node.js 22 or newer (libp2p 3 uses Promise.withResolvers); this is ${version}`)
}
