/**
 * WriteLedger: a retry of a write with an id waits for an earlier attempt
 * this replica still holds, in the buffer as well as proposed. The node's
 * write memory (RecentWrites) forgets attempts past 4,096 a carrier, also
 * ones still waiting in the buffer; a retry that then found no proposal
 * holding its write was queued beside it, and both committed (a review).
 */
import { describe, it, expect } from 'vitest'
import { WriteLedger, settle, type PendingWrite } from '../../../src/node/write-ledger.ts'
import { encodeWrite, type WriteRef } from '../../../src/node/batch.ts'
import { NoQuorumError } from '../../../src/node/consensus-errors.ts'
import type { CommitResult } from '../../../src/node/replica-types.ts'

const CHAIN = 'chain'
const ref: WriteRef = { from: '', id: Uint8Array.of(1, 2, 3), carrier: 'gateway' }
const result: CommitResult = { chainId: CHAIN, height: 1, hash: new Uint8Array(32) }

function pending (deadline = 10_000): { w: PendingWrite, outcome: Promise<CommitResult | Error> } {
  const { promise, resolve, reject } = Promise.withResolvers<CommitResult>()
  const w: PendingWrite = {
    write: { ...encodeWrite([{ key: 'k', value: Uint8Array.of(1) }]), ref },
    deadline,
    waitForReplication: false,
    replicate: false,
    settled: false,
    resolve,
    reject
  }
  return { w, outcome: promise.catch((err: Error) => err) }
}

/** Whether `p` has settled once the queued callbacks ran. */
async function settledYet (p: Promise<unknown>): Promise<boolean> {
  const unsettled = Symbol('unsettled')
  return await Promise.race([p.then(() => true), new Promise(resolve => { setImmediate(() => { resolve(unsettled) }) })]) !== unsettled
}

describe('node - the write ledger holds a queued write with an id for its retries', () => {
  it('a retry waits for an earlier attempt still in the buffer; answered unproposed, the retry goes on', async () => {
    const ledger = new WriteLedger(CHAIN)
    const first = pending()
    ledger.enqueue(first.w)
    expect(ledger.mayStillCommit(ref)).toBe(true)
    const landing = ledger.landed(ref, 10_000)
    expect(await settledYet(landing)).toBe(false)
    ledger.failWaiting(new NoQuorumError('not proposed: nothing was written'))
    expect(await landing).toBe('landed')
    expect(await first.outcome).toBeInstanceOf(NoQuorumError)
    expect(ledger.mayStillCommit(ref)).toBe(false)
  })

  it('a retry waits while the earlier attempt goes from the buffer to a proposal, and goes on when it is decided', async () => {
    const ledger = new WriteLedger(CHAIN)
    const first = pending()
    ledger.enqueue(first.w)
    const landing = ledger.landed(ref, 10_000)
    const { writes } = ledger.takeBatch(1 << 20)
    ledger.outstanding.set('p1', { writes })
    expect(await settledYet(landing)).toBe(false)
    ledger.noteApplied(ref, result, 0)
    const decided = ledger.decided('p1')
    expect(await landing).toBe('landed')
    expect(ledger.appliedWrite(ref)).toEqual(result)
    for (const w of decided) settle(w, result)
    expect(await first.outcome).toEqual(result)
  })

  it('a retry hears "in flight" at its deadline while the earlier attempt still waits in the buffer', async () => {
    const ledger = new WriteLedger(CHAIN)
    ledger.enqueue(pending().w)
    const landing = ledger.landed(ref, 5_000)
    ledger.expire(5_000, () => [])
    expect(await landing).toBe('in flight')
    expect(ledger.mayStillCommit(ref)).toBe(true)
  })
})
