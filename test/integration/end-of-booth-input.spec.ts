/**
 * VGuard's endOfBooth, as a library caller hands it over: what the block
 * holds is what was checked at the call, a keyed end of booth and a keyed
 * write of its transactions are one write whichever comes first, and a block
 * whose round a crash cut short reaches a backup after the restart without
 * another write. Each was found by a review. Real nodes over TCP on
 * 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, vehiclePair } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

describe('own chain - endOfBooth takes what it was given at the call', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a value buffer or participants list the caller changes right after the call do not change the block (before and after consensus runs)', async () => {
    const { a, b } = await vehiclePair(cluster)
    const self = a.peerId.toString()
    for (const [i, key] of ['gps/1', 'gps/2'].entries()) {
      // the second goes through our consensus: a put runs it on the chain first
      if (i === 1) await a.put('warm', utf8.encode('up'))
      const value = utf8.encode('fix-1')
      const participants = [b.peerId.toString()]
      const pending = a.endOfBooth({ participants, transactions: [{ key, value }] })
      // the caller reuses its buffer for the next fix, and its list for the next booth
      value.set(utf8.encode('XXXXX'))
      participants.push('12D3KooWRBhwfeP2Y4TCx1SM6s3rUWmrZSaoKD8r3pwUHyREoJRV')
      const { height } = await pending
      expect(utf8d.decode((await a.chains.get(self, key))?.value), key).toBe('fix-1')
      expect((await a.chains.getBlock(self, height))?.header.booth.slice().sort(), key).toEqual([self, b.peerId.toString()].sort())
    }
  })

  it('a keyed end of booth and a keyed put of its one transaction under the same key are one write, whichever comes first', async () => {
    const { a, b } = await vehiclePair(cluster)
    const self = a.peerId.toString()
    const fix = { key: 'gps/1', value: utf8.encode('fix') }
    // the end of booth first, appended directly (no consensus on the chain yet): the put appended it again
    const booth = await a.endOfBooth({ participants: [b.peerId.toString()], transactions: [fix], idempotencyKey: 'same-1' })
    const put = await a.put(fix.key, fix.value, { idempotencyKey: 'same-1' })
    expect(put.height).toBe(booth.height)
    expect((await a.chains.tip(self)).height).toBe(booth.height)
    // the put first, through consensus
    const second = { key: 'gps/2', value: utf8.encode('fix') }
    const put2 = await a.put(second.key, second.value, { idempotencyKey: 'same-2' })
    const booth2 = await a.endOfBooth({ participants: [b.peerId.toString()], transactions: [second], idempotencyKey: 'same-2' })
    expect(booth2.height).toBe(put2.height)
    expect((await a.chains.tip(self)).height).toBe(put2.height)
  })
})

describe('own chain - an end of booth whose round a crash cut short', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('the first block, appended with no table signed yet, reaches a backup after the restart without another write', async () => {
    const dir = await cluster.tempDir()
    const { a, b } = await vehiclePair(cluster, dir)
    const self = a.peerId.toString()
    // the node dies after the block is appended and before its round signs a table
    dieBeforeRound(a)
    void a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'gps/1', value: utf8.encode('fix') }] }).catch(() => {})
    await waitFor(async () => (await a.chains.tip(self)).height === 1, { message: 'the block appended' })
    expect(a.vguarddb.tables.get(self)).toBeUndefined()
    await cluster.stopNode(a)
    const again = await cluster.create({ kBackups: 1, dataDir: dir, bootstrap: [b.multiaddrs[0].toString()] })
    await again.start()
    await waitFor(() => fullyConnected([again, b]), { message: 'a back beside b' })
    // it stayed on this vehicle alone until its next write (a review)
    await waitFor(async () => (await b.chains.info(self))?.height === 1, { timeout: 30_000, message: 'b holds the block' })
    await waitFor(() => again.vguarddb.tables.get(self)?.table.active.includes(b.peerId.toString()) === true, { message: 'a table names b' })
  })
})

/** Its replication rounds never end: as if the node died right after a commit, before its round signed a table. */
function dieBeforeRound (node: VGuardNode): void {
  const vguarddb = node.vguarddb as unknown as { afterCommit: () => Promise<never> }
  vguarddb.afterCommit = async () => await new Promise<never>(() => {})
}
