/**
 * A listen address the node could not bind, said in words. libp2p's own
 * error (UnsupportedListenAddressesError) lists each address with a stack
 * trace and suggests a setting of its config (`transportManager.faultTolerance`)
 * that this node does not take.
 */

/** Socket error codes of a failed listen, in words. */
export const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is in use (another vguard-node, or another program)',
  EACCES: 'not allowed (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no interface of this machine has that address',
  ENOTFOUND: 'the host name does not resolve to an address',
  EAI_AGAIN: 'the host name could not be resolved now (no DNS answer)'
}

/** An address that could not be bound: why in words, and the socket's error code (EADDRINUSE, …) when it had one. */
export interface ListenFailure {
  address: string
  reason: string
  code?: string
}

/** start() (or startHttpApi) could not listen on some of its addresses: which, and why. */
export class ListenError extends Error {
  static name = 'ListenError'
  readonly failures: readonly ListenFailure[]
  /** The socket's error code, when every address failed with the same one (EADDRINUSE, …). */
  readonly code?: string

  constructor (message = 'cannot listen', failures: ListenFailure[] = [], options?: ErrorOptions) {
    super(message, options)
    this.name = 'ListenError'
    this.failures = failures
    const codes = new Set(failures.map(f => f.code))
    const [code] = codes
    if (codes.size === 1 && code != null) this.code = code
  }
}

/**
 * libp2p's UnsupportedListenAddressesError as a ListenError: it lists each
 * address that failed as an indented `ADDR: <error and its stack>`, and the
 * socket's code in each becomes words. Anything else, or a message not in
 * that shape, passes through.
 */
export function listenErrorOf (err: unknown): unknown {
  if ((err as Error)?.name !== 'UnsupportedListenAddressesError') return err
  const failures: ListenFailure[] = []
  for (const line of (err as Error).message.split('\n')) {
    const match = /^\s+(\/\S+): .*?\b(E[A-Z]+)\b/.exec(line)
    if (match == null) continue
    const [, address, code] = match
    failures.push({ address, reason: LISTEN_FAILURES[code] ?? code, code })
  }
  if (failures.length === 0) return err
  const list = failures.map(f => `${f.address}: ${f.reason}`).join('; ')
  return new ListenError(`cannot listen on ${list}; choose other listen addresses`, failures, { cause: err })
}
