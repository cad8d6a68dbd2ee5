/**
 * A replica remembers every write with an id it applied (so a retry after a
 * lost answer gets the first attempt's block, also after a restart), on disk.
 * On a shared chain that is every write of the network, on every replica: the
 * ones past their time must leave the disk while the replica runs, not only
 * when it is reopened.
 */
import { describe, it, expect } from 'vitest'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { WRITE_MEMORY } from '../../../src/node/recent-writes.ts'
import { enc } from '../storage/helpers.ts'
import { SELF, useOwnReplica } from './helpers/own-replica.ts'

describe('node - a replica forgets remembered writes past their time while it runs', () => {
  const fixture = useOwnReplica()

  it('deletes them from disk once they are older than the write memory; younger ones stay', async () => {
    const storage = new LevelPaxosStore(await fixture.database()).storage(SELF)
    let clock = 1_000_000
    const r = await fixture.open({ storage, now: () => clock })
    const write = async (n: number): Promise<void> => {
      const w = { ...encodeWrite([{ key: `gps/${n}`, value: enc.encode(String(n)) }]), ref: { from: 'writer', id: Uint8Array.of(n) } }
      await r.submit(w, { timeout: 10_000, waitForReplication: false })
    }
    const remembered = async (): Promise<number[]> => (await storage.recentWrites(0, 100)).map(w => w.height)

    await write(1)
    await write(2)
    expect(await remembered()).toEqual([1, 2])
    // past the write memory: the next applied write deletes them
    clock += WRITE_MEMORY.ttl + 60_000
    await write(3)
    expect(await remembered()).toEqual([3])
    // a write younger than the memory stays
    clock += 30_000
    await write(4)
    expect(await remembered()).toEqual([3, 4])
  })
})
