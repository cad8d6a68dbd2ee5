/**
 * Reads with redirect that end at the reader's own copy: a backup reading
 * the chain it holds when nobody else answers, and the shared chain, which
 * every member holds. Real nodes over TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
const text = new TextDecoder()
const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString())

describe('vguarddb - reads served by the reader\'s own copy', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('an active backup whose proposer and fellow backup are down reads the chain from its own copy, saying whom it tried', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 2 })
    const chainId = A.peerId.toString()
    const outcome = await A.endOfBooth({ participants: ids(B, C), transactions: [{ key: 'gps/1', value: utf8.encode('-27.7,-51.1') }] })
    expect(outcome.active.sort()).toEqual(ids(B, C).sort())
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'B holds the table' })
    await cluster.stopNode(A)
    await cluster.stopNode(C)
    const read = await B.vguarddb.readKey(chainId, 'gps/1')
    expect(read.servedBy).toBe(B.peerId.toString())
    expect(read.stale).toBe(false)
    expect(text.decode(read.response.value)).toBe('-27.7,-51.1')
    expect(read.path.map(p => p.outcome)).toEqual(['unreachable', 'unreachable', 'served'])
    expect(read.path[0].peerId).toBe(chainId)
  })

  it('the shared chain is read from the reader\'s own replica', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    await waitFor(() => [A, B].every(n => n.consensus.driver.shared()?.leader() != null), { timeout: 30_000, message: 'a shared-chain leader' })
    await A.put('fleet/size', utf8.encode('2'), { chainId: 'shared' })
    await waitFor(async () => (await B.chains.get('shared', 'fleet/size')) != null, { message: 'B applied the write' })
    const read = await B.vguarddb.readKey('shared', 'fleet/size')
    expect(read.servedBy).toBe(B.peerId.toString())
    expect(text.decode(read.response.value)).toBe('2')
  })
})
