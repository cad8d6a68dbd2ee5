/**
 * A key a read may ask for: one a write could have stored. Checked before
 * any peer is asked: a key no holder takes was answered as every holder
 * failing (QuorumReadError, ProposerUnreachableError: "INVALID: bad key"),
 * which reads as worth a retry, and a local read of it as "no value".
 */
import { keyProblem } from '../chain/index.ts'
import { InvalidReadError } from './consensus-errors.ts'

/** @throws InvalidReadError */
export function checkReadKey (key: unknown): void {
  const problem = keyProblem(key)
  if (problem == null) return
  const shown = typeof key === 'string' ? (key.length > 64 ? `${JSON.stringify(key.slice(0, 64))}… (${key.length} characters)` : JSON.stringify(key)) : typeof key
  throw new InvalidReadError(`${problem}: ${shown}`)
}
