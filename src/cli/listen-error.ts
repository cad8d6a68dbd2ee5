/**
 * A listen that failed, said in the operator's terms: which address, why in
 * words, and which flag picks another. The socket's own message ("listen
 * EADDRINUSE: address already in use 127.0.0.1:7400") names neither the
 * API nor the flag, and libp2p's is several lines of stack traces that
 * suggest a setting of its own config (`transportManager.faultTolerance`).
 */
const WHY: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another vguard-node, or another program)',
  EACCES: 'not allowed (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no interface of this machine has that address'
}

/** A listen of `what` on `address` failed; `flag` chooses another. Errors of other kinds pass through. */
export function explainListenError (err: unknown, what: string, address: string, flag: string): unknown {
  const why = WHY[(err as NodeJS.ErrnoException)?.code ?? '']
  if (why == null) return err
  return new Error(`${what} cannot listen on ${address}: ${why}; choose another with ${flag}`, { cause: err })
}

/**
 * libp2p's UnsupportedListenAddressesError lists each address that failed
 * as an indented `ADDR: <error and its stack>`; the socket's code in each
 * becomes words. Anything else, or a message not in that shape, passes
 * through.
 */
export function explainLibp2pListenError (err: unknown, flag: string): unknown {
  if ((err as Error)?.name !== 'UnsupportedListenAddressesError') return err
  const failures: string[] = []
  for (const line of (err as Error).message.split('\n')) {
    const match = /^\s+(\/\S+): .*?\b(E[A-Z]+)\b/.exec(line)
    if (match == null) continue
    const [, address, code] = match
    failures.push(`${address}: ${WHY[code] ?? code}`)
  }
  if (failures.length === 0) return err
  return new Error(`libp2p cannot listen on ${failures.join('; ')}; choose another with ${flag}`, { cause: err })
}
