/**
 * A vehicle whose data dir was restored from an older copy (or lost its
 * database) while its chain went on: the store holds another block at a
 * height than the booth decides. The write in that block cannot be stored,
 * so it must not be acknowledged; consensus on the chain stops, saying why.
 */
import { describe, it, expect } from 'vitest'
import { createBlock, emptyTip, tipOf } from '../../../src/chain/index.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { enc } from '../storage/helpers.ts'
import { SELF, openOwnReplica, useOwnReplica } from './helpers/own-replica.ts'

describe('node - a replica whose store holds another chain than its booth decided', () => {
  const fixture = useOwnReplica()

  it('does not acknowledge the write it cannot store, and stops the chain\'s consensus with why', async () => {
    const db = await fixture.database()
    // the chain as its booth decided it: one block
    const first = await openOwnReplica(db, { store: new MemoryChainStore() })
    await first.replica.submit(encodeWrite([{ key: 'decided', value: enc.encode('1') }]), { timeout: 10_000, waitForReplication: false })
    await first.stop()
    // the disk now holds another chain, further on (an older copy restored and caught up elsewhere)
    const store = new MemoryChainStore()
    const other1 = createBlock({ prev: emptyTip(SELF), proposer: SELF, timestamp: 1, transactions: [{ key: 'old', value: enc.encode('copy') }] })
    await store.appendMany([other1, createBlock({ prev: tipOf(other1), proposer: SELF, timestamp: 2, transactions: [{ key: 'old', value: enc.encode('copy 2') }] })])
    const r = await fixture.open({ store })
    const write = encodeWrite([{ key: 'new', value: enc.encode('v') }])
    // it was answered as committed at height 2, a block no store held
    await expect(r.submit(write, { timeout: 10_000, waitForReplication: false })).rejects.toMatchObject({
      name: 'ConsensusStoppedError',
      message: expect.stringMatching(/^consensus of car stopped: the chain on disk holds another block at height 2 than its booth decided \(was the data dir restored from an older copy/)
    })
    expect(await store.get(SELF, 'new')).toBeUndefined()
    // later writes fail at once, the same way
    await expect(r.submit(write, { timeout: 10_000, waitForReplication: false })).rejects.toMatchObject({ name: 'ConsensusStoppedError' })
  })
})
