/**
 * A listen that failed, said in the operator's terms: which address, why in
 * words, and which flag picks another. The socket's own message ("listen
 * EADDRINUSE: address already in use 127.0.0.1:7400") names neither the
 * API nor the flag; the node's ListenError names the option, not the flag.
 */
import { LISTEN_FAILURES } from '../node/listen-error.ts'
import type { ListenError } from '../node/listen-error.ts'

/** A listen of `what` on `address` failed; `flag` chooses another. Errors of other kinds pass through. */
export function explainListenError (err: unknown, what: string, address: string, flag: string): unknown {
  const why = LISTEN_FAILURES[(err as NodeJS.ErrnoException)?.code ?? '']
  if (why == null) return err
  return new Error(`${what} cannot listen on ${address}: ${why}; choose another with ${flag}`, { cause: err })
}

/** The node's ListenError with the flag that chooses other addresses; anything else passes through. */
export function explainLibp2pListenError (err: unknown, flag: string): unknown {
  if ((err as Error)?.name !== 'ListenError') return err
  const failures = (err as ListenError).failures.map(f => `${f.address}: ${f.reason}`)
  return new Error(`libp2p cannot listen on ${failures.join('; ')}; choose another with ${flag}`, { cause: err })
}
