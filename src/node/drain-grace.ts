import { InvalidArgumentError } from '../storage/errors.ts'

/**
 * A drain's grace is a number of ms from 0: NaN or a negative one drained
 * nothing and said nothing, and a string ('5000', from an environment
 * variable) was added to the clock as text, which let an HTTP drain wait
 * for good (a probe, 2026-12-03). `call` names the drain in the message.
 *
 * @throws InvalidArgumentError for anything else
 */
export function checkDrainGrace (call: string, graceMs: unknown): asserts graceMs is number {
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    throw new InvalidArgumentError(`${call}(graceMs): a number of ms from 0, got ${typeof graceMs === 'number' ? String(graceMs) : JSON.stringify(graceMs) ?? typeof graceMs}`)
  }
}
