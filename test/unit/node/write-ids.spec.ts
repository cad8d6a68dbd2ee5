/**
 * Writes with an id across a leader change, through the driver: every
 * replica learns the ids of the writes in the batches it applies, so a retry
 * that reaches the new leader (the first answer was lost with the old one)
 * finds the first commit instead of committing the write again.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { encodeWrite } from '../../../src/node/batch.ts'
import type { ChainReplica } from '../../../src/node/paxos-replica.ts'
import type { CommitResult } from '../../../src/node/replica-types.ts'
import type { MemoryChainStore } from '../../../src/storage/index.ts'
import { blocksWriting } from '../../utils/chains.ts'
import { enc } from '../storage/helpers.ts'
import { SHARED, ThreeReplicas } from './helpers/three-replicas.ts'

describe('node - write ids across a leader change', () => {
  const set = new ThreeReplicas()
  afterEach(async () => { await set.close() })

  it('the new leader knows a write the old one committed, even one it recovered and decided again itself', async () => {
    const { n1, byId, stores, cut, dropIf, connected, tickUntil, newLeader } = await set.open()
    // n2 and n3 accept, but never hear from n1 that it was decided
    dropIf.push(m => m.from === 'n1' && (m.type === 'heartbeat' || m.type === 'decided'))
    const ref = { from: 'writer', id: new Uint8Array(16).fill(7) }
    let first: CommitResult | undefined
    void n1.submit({ ...encodeWrite([{ key: 'k', value: enc.encode('once') }]), ref }, { timeout: 60_000, waitForReplication: false }).then(r => { first = r })
    await tickUntil(() => first != null, 'n1 committed the write')
    expect(n1.appliedWrite(ref)).toEqual(first)

    // n1 is gone with its answer; the writer retries at the new leader
    for (const other of ['n2', 'n3']) cut.add(`n1>${other}`)
    connected.n2 = ['n3']
    connected.n3 = ['n2']
    await tickUntil(() => newLeader() != null, 'n2 or n3 leads')
    const id = newLeader() as string
    const leader = byId.get(id) as ChainReplica
    let settled = false
    void leader.settleLeadership(10_000).then(() => { settled = true })
    await tickUntil(() => settled, 'the new leader applied what it recovered')
    expect(leader.appliedWrite(ref)).toEqual(first)
    // another write's id is not known
    expect(leader.appliedWrite({ ...ref, id: new Uint8Array(16).fill(8) })).toBeUndefined()

    expect(await blocksWriting(stores.get(id) as MemoryChainStore, SHARED, 'k')).toBe(1)
  })
})
