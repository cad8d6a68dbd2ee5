/**
 * A redirect read under way when its node stops ends with NodeStoppedError:
 * the holders that fail as the node's connections close are not out of
 * reach, and a NoHolderReachableError naming live backups "unreachable" told
 * a probe's user the data was gone. Real nodes; the proposer is down, so the
 * reads go to its backups.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { READ_PROTOCOL } from '../../src/protocols/read/constants.ts'

describe('reads under way when their node stops', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('ends with NodeStoppedError, not NoHolderReachableError', async () => {
    const nodes = await connectedSwarm(cluster, 4, { kBackups: 2 })
    const [a] = nodes
    const chainId = a.peerId.toString()
    const keys = Array.from({ length: 5 }, (_, i) => `gps/${i}`)
    let backups: string[] = []
    for (const key of keys) backups = (await a.put(key, new TextEncoder().encode(key))).replication?.backups ?? []
    expect(backups).toHaveLength(2)
    const reader = nodes.find(n => n !== a && !backups.includes(n.peerId.toString()))
    if (reader == null) throw new Error('no vehicle outside the backups')
    await cluster.stopNode(a)

    // the proposer is down: each read asks it, then its backups, which stay up throughout
    const reads = Array.from({ length: 20 }, async (_, i) => await reader.vguarddb.readKey(chainId, keys[i % keys.length]).then(() => 'served', (err: Error) => err.name))
    await cluster.stopNode(reader)
    const outcomes = await Promise.all(reads)
    expect(outcomes.filter(o => o !== 'served' && o !== 'NodeStoppedError'), outcomes.join(', ')).toEqual([])
    expect(outcomes).toContain('NodeStoppedError')
  })

  it('leader and quorum reads cut short by their node\'s stop end with NodeStoppedError, not a quorum or proposer failure', async () => {
    const nodes = await connectedSwarm(cluster, 3, { kBackups: 2 })
    const [a, reader] = nodes
    const chainId = a.peerId.toString()
    for (let i = 0; i < 3; i++) await a.put(`gps/${i}`, new TextEncoder().encode(String(i)))
    // every holder is up: whatever fails here fails because the reader stops
    const reads = Array.from({ length: 30 }, async (_, i) => await reader.get(chainId, `gps/${i % 3}`, { consistency: i % 2 === 0 ? 'quorum' : 'leader' })
      .then(() => 'served', (err: Error) => err.name))
    const blocks = Array.from({ length: 10 }, async (_, i) => await reader.getBlock(chainId, 1 + (i % 3), { consistency: i % 2 === 0 ? 'quorum' : 'leader' })
      .then(() => 'served', (err: Error) => err.name))
    const stopping = cluster.stopNode(reader)
    // and what is called during the stop is refused as the docs say
    await expect(reader.put('late', new Uint8Array([1]))).rejects.toMatchObject({ name: 'NodeStoppedError' })
    await expect(reader.get(chainId, 'gps/0')).rejects.toMatchObject({ name: 'NodeStoppedError' })
    await stopping
    const outcomes = await Promise.all([...reads, ...blocks])
    expect(outcomes.filter(o => o !== 'served' && o !== 'NodeStoppedError'), outcomes.join(', ')).toEqual([])
  })

  it('a quorum read waiting on holders that never answer ends when its node stops, not after its timeout', async () => {
    const nodes = await connectedSwarm(cluster, 3, { kBackups: 2 })
    const [a, b, reader] = nodes
    const chainId = a.peerId.toString()
    await a.put('gps/0', new TextEncoder().encode('0'))
    // a and b take the question and answer nothing (frozen, their connections open): only the reader's own copy answers
    for (const frozen of [a, b]) frozen.vguarddb.read.answer = async () => await new Promise(() => {})
    let outcome: string | undefined
    const read = reader.get(chainId, 'gps/0', { consistency: 'quorum' }).then(() => 'served', (err: Error) => err.name)
    void read.then(o => { outcome = o })
    await waitFor(() => reader.libp2p.getConnections().some(c => c.streams.some(s => s.protocol === READ_PROTOCOL)), { message: 'the reader asks' })
    await cluster.stopNode(reader)
    await new Promise(resolve => setImmediate(resolve))
    // it waited out the read's timeout (seconds) after stop() had resolved, keeping the process alive
    expect(outcome).toBe('NodeStoppedError')
  })
})
