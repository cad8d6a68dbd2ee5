import { InvalidPinError } from '../storage/errors.ts'
import { chainIdProblem } from './peer-ids.ts'

/**
 * Pins name a chain as the HTTP routes do: a vehicle's peer id in its usual
 * form, or 'shared' (undefined, 5 or '' were stored, each as a chain of its
 * own, and 100k characters threw a RangeError).
 *
 * @throws InvalidPinError
 */
export function checkPinnedChain (chainId: unknown): void {
  const problem = chainIdProblem(chainId)
  if (problem != null) throw new InvalidPinError(`a pin's chain: ${problem}`)
}
