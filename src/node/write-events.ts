import { errorLabel } from './errors.ts'
import type { TypedEventEmitter } from 'main-event'
import type { Consensus, CommitResult, WriteOptions } from './consensus.ts'
import type { VGuardNodeEvents } from './events.ts'
import type { TransactionInput } from '../chain/index.ts'

/**
 * Commits a write through consensus, then tells its outcome (write:settled):
 * the height it got, or its error's label, and how long it took.
 */
export async function appendAndTell (consensus: Consensus, events: TypedEventEmitter<VGuardNodeEvents>, self: string, transactions: TransactionInput[], options?: WriteOptions): Promise<CommitResult> {
  const started = performance.now()
  const settled = (outcome: { error: string } | { height: number }): void => {
    events.safeDispatchEvent('write:settled', {
      detail: { chainId: options?.chainId ?? self, transactions: Array.isArray(transactions) ? transactions.length : 0, durationMs: performance.now() - started, ...outcome }
    })
  }
  try {
    const result = await consensus.append(transactions, options)
    settled({ height: result.height })
    return result
  } catch (err) {
    settled({ error: errorLabel(err) })
    throw err
  }
}
