/**
 * Ends of booth and a node's stop. stop() waits for an end of booth's block
 * under way (its append, or its commit) before anything closes the stores:
 * a stop that closed them under a running endOfBooth gave the store's
 * StoreClosedError.
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
})
