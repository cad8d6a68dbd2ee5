/**
 * A replica remembers every write with an id it applied (so a retry after a
 * lost answer gets the first attempt's block, also after a restart), on disk.
 * On a shared chain that is every write of the network, on every replica: the
 * ones past their time must leave the disk while the replica runs, not only
 * when it is reopened.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { WRITE_MEMORY } from '../../../src/node/recent-writes.ts'
import { enc } from '../storage/helpers.ts'
import { openOwnReplica, SELF } from './helpers/own-replica.ts'
import type { OwnReplica } from './helpers/own-replica.ts'

describe('node - a replica forgets remembered writes past their time while it runs', () => {
  let db: NodeDatabase | undefined
  let dir: string | undefined
  let own: OwnReplica | undefined
  afterEach(async () => {
    await own?.stop()
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('deletes them from disk once they are older than the write memory; younger ones stay', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-replica-'))
    db = await openDatabase(dir)
    const storage = new LevelPaxosStore(db).storage(SELF)
    let clock = 1_000_000
    own = await openOwnReplica(db, { storage, now: () => clock })
    const r = own.replica
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
