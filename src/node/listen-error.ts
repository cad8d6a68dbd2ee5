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

/** start() could not listen on some of the `listen` addresses: which, and why. */
export class ListenError extends Error {
  static name = 'ListenError'
  readonly failures: ReadonlyArray<{ address: string, reason: string }>

  constructor (message = 'cannot listen', failures: Array<{ address: string, reason: string }> = [], options?: ErrorOptions) {
    super(message, options)
    this.name = 'ListenError'
    this.failures = failures
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
  const failures: Array<{ address: string, reason: string }> = []
  for (const line of (err as Error).message.split('\n')) {
    const match = /^\s+(\/\S+): .*?\b(E[A-Z]+)\b/.exec(line)
    if (match == null) continue
    const [, address, code] = match
    failures.push({ address, reason: LISTEN_FAILURES[code] ?? code })
  }
  if (failures.length === 0) return err
  const list = failures.map(f => `${f.address}: ${f.reason}`).join('; ')
  return new ListenError(`cannot listen on ${list}; choose other listen addresses`, failures, { cause: err })
}
