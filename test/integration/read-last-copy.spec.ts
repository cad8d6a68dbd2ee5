/**
 * The soak's case: a vehicle's proposer left before it could release an
 * obsolete backup, and the active backups of its newest table left too. The
 * obsolete backup, back online, holds the last copy. A reader that knows the
 * newest table finds no live backup in it; the table lookup among its
 * neighbours reaches the obsolete backup, which must then be asked for the
 * data: the answer comes back flagged stale, not as "no holder reachable".
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
const text = new TextDecoder()
const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString())

describe('read - the last copy is an obsolete backup never released', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a reader whose table names only departed backups is served by it, flagged stale', async () => {
    const [a, b, e, g] = await connectedSwarm(cluster, 4, { kBackups: 1 })
    const chainId = a.peerId.toString()
    const [idA, idB, idE] = ids(a, b, e)

    const first = await a.endOfBooth({ participants: [idE], transactions: [{ key: 'k1', value: utf8.encode('one') }] })
    expect(first).toMatchObject({ epoch: 1, active: [idE] })
    await waitFor(() => g.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'g holds epoch 1' })

    // E is away while the chain moves to B: its release waits for it, and A leaves first
    const eDir = e.config.dataDir
    await cluster.stopNode(e)
    const second = await a.endOfBooth({ participants: [idB], transactions: [{ key: 'k2', value: utf8.encode('two') }] })
    expect(second).toMatchObject({ epoch: 2, active: [idB], obsolete: [idE] })
    await waitFor(() => g.vguarddb.tables.get(chainId)?.table.epoch === 2, { message: 'g holds epoch 2' })
    await cluster.stopNode(a)
    await cluster.stopNode(b)

    const back = await cluster.create({ dataDir: eDir, kBackups: 1, bootstrap: [g.multiaddrs[0].toString()] })
    await back.start()
    await waitFor(() => g.peers().some(p => p.peerId === idE), { message: 'e rejoined' })
    expect((await back.chains.tip(chainId)).height).toBe(1)

    const read = await g.vguarddb.readKey(chainId, 'k1')
    expect(read).toMatchObject({ servedBy: idE, stale: true, height: 1 })
    expect(text.decode(read.response.value)).toBe('one')
    const steps = read.path.map(p => [p.peerId, p.outcome])
    expect(steps.slice(0, 2)).toEqual([[idA, 'unreachable'], [idB, 'unreachable']])
    // the lookup reached E (it showed its epoch-1 table), and E was then asked for the data
    expect(steps).toContainEqual([idE, 'redirect'])
    expect(steps[steps.length - 1]).toEqual([idE, 'stale'])
    // what E showed did not roll the reader back
    expect(g.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)
  })
})
