/**
 * A vehicle's replica keeps, outside its database (OwnChainMarker), where
 * its consensus began and the booth that decides the chain: a replica opened
 * with no state of its own (its database lost) asks that booth, not itself
 * alone, and never begins consensus again where the record says it could not.
 */
import { describe, it, expect } from 'vitest'
import { encodeWrite } from '../../../src/node/batch.ts'
import { createBlock, ZERO_HASH } from '../../../src/chain/index.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import type { ConsensusRecord } from '../../../src/node/own-chain-marker.ts'
import type { ConsensusRecordStore } from '../../../src/node/replica-types.ts'
import { enc } from '../storage/helpers.ts'
import { SELF, useOwnReplica } from './helpers/own-replica.ts'

function recordStore (initial?: ConsensusRecord): ConsensusRecordStore & { notes: ConsensusRecord[] } {
  let current = initial
  const notes: ConsensusRecord[] = []
  return {
    notes,
    get: () => current,
    note: async (record) => {
      notes.push(record)
      current = record
    },
    clear: async () => { current = undefined }
  }
}

describe('node - own replica and the consensus record beside its key', () => {
  const fixture = useOwnReplica()

  it('a booth of itself alone is not recorded: what it decides is in its own database only', async () => {
    const records = recordStore()
    const r = await fixture.open({ consensusRecord: records })
    await r.submit(encodeWrite([{ key: 'gps/1', value: enc.encode('1') }]), { timeout: 10_000, waitForReplication: false })
    expect(records.notes).toEqual([])
  })

  it('opened with no state on a chain the record says consensus began on: its booth is the recorded one, not itself alone', async () => {
    const booth = [SELF, 'm1', 'm2']
    const r = await fixture.open({ consensusRecord: recordStore({ start: { height: 0, hash: ZERO_HASH }, booth }) })
    expect([...r.status().booth].sort()).toEqual([...booth].sort())
    // with its own vote forgotten, nothing is decided without the members it cannot reach
    await expect(r.submit(encodeWrite([{ key: 'gps/1', value: enc.encode('1') }]), { timeout: 300, waitForReplication: false })).rejects.toMatchObject({ name: expect.stringMatching(/NoQuorumError|CommitTimeoutError/) })
  })

  it('a record naming a point that is not on this chain (one given up for its backups\' chain) is not used: the chain decides', async () => {
    const store = new MemoryChainStore()
    await store.append(createBlock({ prev: { chainId: SELF, height: 0, hash: ZERO_HASH }, proposer: SELF, timestamp: 1, transactions: [{ key: 'k', value: enc.encode('v') }] }))
    // began at 0 says the record, but the block after it carries no ballot: not the chain consensus ran on
    const r = await fixture.open({ store, consensusRecord: recordStore({ start: { height: 0, hash: ZERO_HASH }, booth: [SELF, 'm1', 'm2'] }) })
    expect(r.status().booth).toEqual([SELF])
    const written = await r.submit(encodeWrite([{ key: 'gps/1', value: enc.encode('1') }]), { timeout: 10_000, waitForReplication: false })
    expect(written.height).toBe(2)
  })

  it('opened with no state where the record says consensus began further on: it refuses to begin again there (slot 1 would be another block)', async () => {
    const records = recordStore({ start: { height: 5, hash: new Uint8Array(32).fill(1) }, booth: [SELF, 'm1', 'm2'] })
    await expect(fixture.open({ consensusRecord: records })).rejects.toMatchObject({ name: 'ChainRecoveryError', message: expect.stringMatching(/began after block 5/) })
  })
})
