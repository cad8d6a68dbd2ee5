/**
 * A replica that closes with proposals in flight: each write waiting on it
 * hears whether it may still commit. Three shared-chain replicas over an
 * in-memory router; n1 leads, and its accepts are lost, so what it proposes
 * stays undecided. A review found a retry waiting on an earlier attempt told
 * "nothing was written" at close, while that attempt could still be chosen.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { encodeWrite } from '../../../src/node/batch.ts'
import { enc } from '../storage/helpers.ts'
import { ThreeReplicas } from './helpers/three-replicas.ts'

describe('node - a replica closing with proposals in flight', () => {
  const set = new ThreeReplicas()
  afterEach(async () => { await set.close() })

  it('fails their writes as may still commit, and a retry waiting on one hears so', async () => {
    const { n1, dropIf, tickUntil } = await set.open()
    dropIf.push(m => m.from === 'n1' && m.type === 'accept')
    const ref = { from: 'client', id: new Uint8Array([1, 2, 3]) }
    let first: (Error & { mayHaveCommitted?: boolean }) | undefined
    void n1.submit({ ...encodeWrite([{ key: 'k', value: enc.encode('1') }]), ref }, { timeout: 60_000, waitForReplication: false })
      .catch((err: Error) => { first = err })
    await tickUntil(() => n1.status().outstanding === 1, 'the write proposed')
    // a small write waits for the slot in flight (group commit): not proposed
    let queued: (Error & { mayHaveCommitted?: boolean }) | undefined
    void n1.submit(encodeWrite([{ key: 'other', value: enc.encode('2') }]), { timeout: 60_000, waitForReplication: false })
      .catch((err: Error) => { queued = err })
    await tickUntil(() => n1.status().pending === 1, 'the second write waits')
    // a retry of the first with the same id waits for it to land
    const retry = n1.landed(ref, 60_000)

    await n1.close()
    expect(first).toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: true })
    // its ref is no client's key (no carrier): a retry is not said to be answered
    expect(first?.message).toMatch(/a retry may commit it twice/)
    expect(queued).toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: false })
    expect(queued?.message).toMatch(/nothing was written/)
    expect(await retry).toBe('stopped')
  })
})
