/**
 * The node was stopped: its database is closed and it does not start again
 * (createVGuardNode makes a new one on the same data dir).
 */
export class NodeStoppedError extends Error {
  static name = 'NodeStoppedError'
  /** A keyed write refused here: this attempt ran nothing, an earlier one under its key may commit (VGuardNode.append). */
  readonly mayHaveCommitted?: boolean
  constructor (message = 'the node was stopped', mayHaveCommitted?: boolean) {
    super(message)
    this.name = 'NodeStoppedError'
    if (mayHaveCommitted === true) this.mayHaveCommitted = true
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

/**
 * An error as events and metric labels name it: its class name, or for a
 * plain Error (a stream reset, a socket's) its code, such as ECONNRESET; a
 * label of 'Error' said nothing. Codes are short upper-case words, so the
 * labels stay few.
 */
export function errorLabel (err: unknown): string {
  if (!(err instanceof Error)) return 'Error'
  if (err.name !== 'Error') return err.name
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,39}$/.test(code) ? code : 'Error'
}

/** The HTTP API answers a database closed with its node as the node stopped; it reaches the storage layer through the node. */
export { isDatabaseClosed } from '../storage/errors.ts'
