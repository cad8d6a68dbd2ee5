/**
 * Ends of booth and a node's stop. stop() waits for an end of booth's block
 * under way (its append, or its commit) before anything closes the stores:
 * a stop that closed them under a running endOfBooth gave the store's
 * StoreClosedError. And a keyed end of booth refused because the node is not
 * started, stopping or stopped ran nothing, but an earlier attempt under its
 * key may have committed: it says so (`mayHaveCommitted`), as a keyed write does.
 * Real nodes over TCP on 127.0.0.1; the block's append is held at VGuardDB's
 * door until the node's consensus stopped its replicas.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { ReplicationOutcome } from '../../src/node/vguarddb.ts'

const utf8 = new TextEncoder()

/**
 * Holds `a`'s next end-of-booth append until its consensus has stopped its
 * replicas (stop() then goes on towards closing the stores), and notes
 * whether the append had ended when its consensus's stop() resolved.
 */
function holdAppendUntilStop (a: VGuardNode): { entered: Promise<void>, appendedWhenStopped: () => boolean | undefined } {
  const entered = Promise.withResolvers<void>()
  const held = Promise.withResolvers<void>()
  let appended = false
  let appendedWhenStopped: boolean | undefined
  const { vguarddb, consensus } = a
  const appendEndOfBooth = vguarddb.appendEndOfBooth.bind(vguarddb)
  vguarddb.appendEndOfBooth = async (booth, id) => {
    entered.resolve()
    await held.promise
    try {
      return await appendEndOfBooth(booth, id)
    } finally {
      appended = true
    }
  }
  const driverStop = consensus.driver.stop.bind(consensus.driver)
  consensus.driver.stop = async () => {
    await driverStop()
    held.resolve()
  }
  const consensusStop = consensus.stop.bind(consensus)
  consensus.stop = async () => {
    await consensusStop()
    appendedWhenStopped = appended
  }
  return { entered: entered.promise, appendedWhenStopped: () => appendedWhenStopped }
}

describe('own chain - keyed ends of booth and a stop', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('stop waits for the block of an end of booth under way: it is committed, and the end of booth says so', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const self = a.peerId.toString()
    const { dataDir } = a.config
    const hold = holdAppendUntilStop(a)
    const value = utf8.encode('v1')
    const booth = a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value }], idempotencyKey: 'booth-1' })
      .then((outcome): ReplicationOutcome | Error => outcome, (err: Error) => err)
    await hold.entered
    await cluster.stopNode(a)

    expect(hold.appendedWhenStopped(), 'the append had ended when consensus stopped').toBe(true)
    const outcome = await booth
    // its block, or its round cut short by the stop, the block committed
    if (outcome instanceof Error) expect(outcome).toMatchObject({ name: 'ReplicationStoppedError', message: expect.stringMatching(/blocks up to height 1 are committed/) })
    else expect(outcome.height).toBe(1)
    const again = await cluster.create({ dataDir })
    expect((await again.chains.get(self, 'k'))?.value).toEqual(value)
  })

  it('a keyed end of booth refused because the node is not started, stopping or stopped may have committed', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const participants = [b.peerId.toString()]
    const input = (key: string, idempotencyKey?: string): Parameters<VGuardNode['endOfBooth']>[0] =>
      ({ participants, transactions: [{ key, value: utf8.encode(key) }], ...(idempotencyKey != null ? { idempotencyKey } : {}) })
    const outcome = async (p: Promise<unknown>): Promise<unknown> => await p.then(() => 'resolved', (err: unknown) => err)

    const notStarted = await cluster.create({ kBackups: 1 })
    expect(await outcome(notStarted.endOfBooth(input('n', 'booth-n')))).toMatchObject({ name: 'NotStartedError', mayHaveCommitted: true, message: expect.stringMatching(/earlier attempt under the same idempotency key/) })
    expect(await outcome(notStarted.endOfBooth(input('n')))).toMatchObject({ name: 'NotStartedError' })
    expect(await outcome(notStarted.endOfBooth(input('n')))).not.toHaveProperty('mayHaveCommitted', true)

    const hold = holdAppendUntilStop(a)
    const first = outcome(a.endOfBooth(input('first', 'booth-1')))
    await hold.entered
    // behind the first at our chain's gate: refused there once the stop begins
    const keyedBehind = outcome(a.endOfBooth(input('second', 'booth-2')))
    const plainBehind = outcome(a.endOfBooth(input('third')))
    const stopping = cluster.stopNode(a)
    const duringStop = outcome(a.endOfBooth(input('fourth', 'booth-4')))
    await stopping
    await first
    expect(await keyedBehind).toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: true, message: expect.stringMatching(/earlier attempt under the same idempotency key/) })
    expect(await plainBehind).toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: false })
    expect(await duringStop).toMatchObject({ name: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringMatching(/earlier attempt under the same idempotency key/) })
    expect(await outcome(a.endOfBooth(input('fifth', 'booth-5')))).toMatchObject({ name: 'NodeStoppedError', mayHaveCommitted: true })
    expect(await outcome(a.endOfBooth(input('fifth')))).not.toHaveProperty('mayHaveCommitted', true)
  })

  it('node:stopped comes after an end of booth under way has its outcome, as it does for a write', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    // the booth's round is asked for only once libp2p stopped, the last service to stop: the end of booth is
    // still under way when the services are down
    const servicesDown = Promise.withResolvers<void>()
    const libp2pStop = a.libp2p.stop.bind(a.libp2p)
    a.libp2p.stop = async () => {
      await libp2pStop()
      servicesDown.resolve()
    }
    const entered = Promise.withResolvers<void>()
    const { vguarddb } = a
    const afterCommit = vguarddb.afterCommit.bind(vguarddb)
    vguarddb.afterCommit = async (chainId, participants, options) => {
      if (options?.own === true) {
        entered.resolve()
        await servicesDown.promise
      }
      return await afterCommit(chainId, participants, options)
    }
    let settled = false
    const booth = a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: utf8.encode('v') }] })
      .then(() => 'resolved', (err: unknown) => err)
      .finally(() => { settled = true })
    let settledWhenStopped: boolean | undefined
    a.addEventListener('node:stopped', () => { settledWhenStopped = settled })
    await entered.promise
    await cluster.stopNode(a)
    expect(settledWhenStopped, 'the end of booth had its outcome at node:stopped').toBe(true)
    expect(await booth).toMatchObject({ name: 'ReplicationStoppedError', mayHaveCommitted: true, message: expect.stringMatching(/block \(height 1\) is committed/) })
  })

  it('a stopped consensus says it is stopped before it looks at the booth (a bad one too), keyed with mayHaveCommitted', async () => {
    const a = await cluster.create()
    await a.start()
    await cluster.stopNode(a)
    const direct = async (): Promise<number> => { throw new Error('not appended: consensus is stopped') }
    const outcome = async (input: unknown): Promise<unknown> =>
      await a.consensus.endOfBooth(input as Parameters<VGuardNode['endOfBooth']>[0], direct).then(() => 'resolved', (err: unknown) => err)
    expect(await outcome({ participants: [], transactions: [] })).toMatchObject({ name: 'ConsensusStoppedError', message: 'consensus is not running' })
    expect(await outcome(null)).toMatchObject({ name: 'ConsensusStoppedError' })
    expect(await outcome({ participants: [], transactions: [], idempotencyKey: 'stopped-1' }))
      .toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: true, message: expect.stringMatching(/earlier attempt under the same idempotency key/) })
  })
})
