/**
 * A vehicle whose round stopped mid-transfer (a crash, a stop) left a copy
 * on a new backup that no table names. The next run settles it without
 * waiting for a commit: a crash probe's copy waited for the owner's next
 * write, for good if it never wrote again (and reconcile grew it into the
 * whole chain meanwhile). And the round takes that vehicle as a backup
 * first, as it holds part of the chain: the probe's first round after the
 * crash sent the whole chain to an empty vehicle and released the one that
 * held it. Real nodes over TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const MiB = 1024 * 1024

describe('replicate - a round a stop cut short', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('the next run settles its transfers without a write, keeping the vehicle that took part of the chain', async () => {
    const nodes = await connectedSwarm(cluster, 4, { kBackups: 1 })
    let a = nodes[0]
    const self = a.peerId.toString()
    const { dataDir } = a.config
    for (let i = 0; i < 6; i++) await a.put(`big/${i}`, new Uint8Array(3 * MiB).fill(i))
    const first = a.vguarddb.tables.get(self)?.table
    if (first == null) throw new Error('no table')
    const old = nodes.find(n => n.peerId.toString() === first.active[0]) as VGuardNode
    await cluster.stopNode(old)
    const others = nodes.filter(n => n !== a && n !== old)

    // the next round sends the chain to a new backup: a stops once that transfer is under way
    const { promise: underWay, resolve } = Promise.withResolvers<string>()
    a.addEventListener('replicate:progress', (e) => { if (e.detail.chainId === self && e.detail.peer !== first.active[0]) resolve(e.detail.peer) })
    const write = a.put('big/6', new Uint8Array(3 * MiB).fill(6))
    write.catch(() => {})
    const taker = await underWay
    await cluster.stopNode(a)
    const partial = others.find(n => n.peerId.toString() === taker) as VGuardNode
    const epoch = first.epoch

    a = await cluster.create({ dataDir, kBackups: 1, bootstrap: [others[0].multiaddrs[0].toString()] })
    await a.start()
    await waitFor(() => fullyConnected([a, ...others]), { message: 'a back among the others' })
    // no write: the transfers its last run noted are settled all the same
    await waitFor(() => (a.vguarddb.tables.get(self)?.table.epoch ?? 0) > epoch, { timeout: 30_000, message: 'a round after the restart' })
    const table = a.vguarddb.tables.get(self)?.table
    expect(table?.active).toEqual([taker])
    const tip = await a.chains.tip(self)
    expect(tip.height).toBe(7)
    await waitFor(async () => (await partial.chains.tip(self)).height === 7, { message: 'the vehicle that took part of the chain holds all of it' })
    // nobody else keeps a copy no table names
    for (const n of others.filter(n => n !== partial)) {
      await waitFor(async () => await n.chains.info(self) == null || table?.active.includes(n.peerId.toString()) === true, { message: `${n.peerId.toString()} holds no copy` })
    }
  })
})
