/**
 * How much of what a pin names retention had pruned before it was pinned:
 * a pin keeps payloads from then on, it cannot bring back those already gone
 * from this node (an operator pinning evidence must hear that at once, not
 * find it when reading).
 */
import { PayloadPrunedError } from '../chain/errors.ts'
import type { ChainStore, Pin } from './index.ts'

/**
 * Blocks `pin` names whose payload this store no longer holds: for heights,
 * those up to the chain's tip; for a key, the block that wrote its current
 * value (earlier values are history no read serves).
 */
export async function prunedUnder (store: ChainStore, chainId: string, pin: Pin): Promise<number> {
  if (pin.type === 'key') {
    try {
      await store.get(chainId, pin.key)
      return 0
    } catch (err) {
      if (err instanceof PayloadPrunedError) return 1
      throw err
    }
  }
  const to = Math.min(pin.to, (await store.tip(chainId)).height)
  let pruned = 0
  if (to < pin.from) return 0
  for await (const header of store.headers(chainId, { from: pin.from, to })) {
    if (header.pruned) pruned++
  }
  return pruned
}
