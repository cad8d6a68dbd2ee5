/**
 * Replication rounds that cannot go as planned: participants that are down
 * or do not exist, a booth too large for a header, and a consensus-driven
 * endOfBooth with a bad booth. Real nodes over TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString())
const gps = (i: number): { key: string, value: Uint8Array } => ({ key: `gps/${i}`, value: utf8.encode(`-27.71${i},-51.09${i}`) })

/** Peer ids of vehicles that do not exist (never reachable). */
async function strangers (n: number): Promise<string[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
}

describe('vguarddb - rounds that fall short', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('when the participants cannot take the chain, the previous backups keep it: never released with fewer than k copies left', async () => {
    const [A, B, C, D] = await connectedSwarm(cluster, 4, { kBackups: 2 })
    const chainId = A.peerId.toString()
    const first = await A.endOfBooth({ participants: ids(B, C), transactions: [gps(1)] })
    expect(first.active.sort()).toEqual(ids(B, C).sort())

    // D, the only participant of the next booth, is down: B and C (not participants) are refreshed instead
    const [dId] = ids(D)
    await cluster.stopNode(D)
    const second = await A.endOfBooth({ participants: [dId], transactions: [gps(2)] })
    expect(second).toMatchObject({ height: 2, epoch: 2, complete: true })
    expect(second.active.sort()).toEqual(ids(B, C).sort())
    // D never got a byte (it was not even connected): nothing to release there
    expect(second.obsolete).toEqual([])
    expect(second.failures.map(f => f.peerId)).toEqual([dId])
    for (const n of [B, C]) expect((await n.chains.info(chainId))?.height).toBe(2)

    // now C is down too: B is refreshed, C cannot be, and stays named (at its older height) rather than released
    const [cId] = ids(C)
    await cluster.stopNode(C)
    const third = await A.endOfBooth({ participants: [dId], transactions: [gps(3)] })
    expect(third).toMatchObject({ height: 3, epoch: 3, complete: false })
    expect(third.active.sort()).toEqual([...ids(B), cId].sort())
    expect(third.obsolete).toEqual([])
    expect(A.vguarddb.pendingReleases()).toEqual([])
    expect((await B.chains.info(chainId))?.height).toBe(3)
  })

  it('participants that do not exist are not taken for holders: no obsolete entries, no releases, no table overflow', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const first = await A.endOfBooth({ participants: await strangers(40), transactions: [gps(1)] })
    expect(first).toMatchObject({ height: 1, complete: false, active: [], obsolete: [] })
    expect(first.failures).toHaveLength(40)
    const second = await A.endOfBooth({ participants: await strangers(30), transactions: [gps(2)] })
    expect(second).toMatchObject({ height: 2, epoch: 2, obsolete: [] })
    expect(A.vguarddb.pendingReleases()).toEqual([])
    // and a real participant still works after them
    const third = await A.endOfBooth({ participants: ids(B), transactions: [gps(3)] })
    expect(third).toMatchObject({ height: 3, complete: true, active: ids(B) })
  })

  it('a booth larger than a block header holds is refused before anything is appended', async () => {
    const [A] = await connectedSwarm(cluster, 1, { kBackups: 1 })
    const chainId = A.peerId.toString()
    await expect(A.endOfBooth({ participants: await strangers(64), transactions: [gps(1)] }))
      .rejects.toMatchObject({ name: 'InvalidBoothError' })
    expect(await A.chains.info(chainId)).toBeUndefined()
    // 63 others and the proposer: 64, the most a header holds
    const ok = await A.endOfBooth({ participants: await strangers(63), transactions: [gps(1)] })
    expect(ok.height).toBe(1)
  })

  it('once consensus runs the own chain, a bad booth is still refused whole: nothing appended, no backup released', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 1, boothSize: 3 })
    const chainId = A.peerId.toString()
    // a write through consensus: from now on endOfBooth goes through it too
    await A.put('k', utf8.encode('v'))
    await waitFor(async () => (A.vguarddb.tables.get(chainId)?.table.active.length ?? 0) === 1, { message: 'a backup holds the chain' })
    const before = A.vguarddb.tables.get(chainId)?.table
    const height = (await A.chains.tip(chainId)).height
    await expect(A.endOfBooth({ participants: ['notapeer'], transactions: [gps(1)] })).rejects.toMatchObject({ name: 'InvalidBoothError' })
    await expect(A.endOfBooth({ participants: ids(B, C), transactions: [] })).rejects.toMatchObject({ name: 'InvalidBoothError' })
    expect((await A.chains.tip(chainId)).height).toBe(height)
    expect(A.vguarddb.tables.get(chainId)?.table.epoch).toBe(before?.epoch)
    expect(A.vguarddb.pendingReleases()).toEqual([])
  })
})
