/**
 * VGuard's endOfBooth and the rest of a vehicle's own chain: only its block's
 * append goes through the gate its chain's appends share. A write no longer
 * waits out an end of booth's replication round (a probe's put took 21 s with
 * a 3 s timeout), and an end of booth that a stop overtakes ends in a stop
 * error, not the chain store's StoreClosedError (a review).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/constants.ts'

const utf8 = new TextEncoder()

describe('own chain - endOfBooth beside writes and stops', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a write does not wait for an end of booth\'s replication round', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const self = a.peerId.toString()
    // b takes the round's transfer and never answers: the round waits for it
    await b.libp2p.unhandle(REPLICATE_PROTOCOL)
    await b.libp2p.handle(REPLICATE_PROTOCOL, () => {})
    let boothDone = false
    const booth = a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: utf8.encode('v1') }] }).finally(() => { boothDone = true })
    await waitFor(async () => (await a.chains.tip(self)).height === 1, { message: 'the booth\'s block appended' })
    const written = await a.put('w', utf8.encode('after the booth'), { timeout: 5_000 })
    expect(written.height).toBe(2)
    expect(boothDone).toBe(false)
    void booth.catch(() => {})
  })

  it('a round a stop cuts short signs no table: the end of booth ends in ReplicationStoppedError, its block committed', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const self = a.peerId.toString()
    // b takes the round's transfer and never answers: the round waits for it until the stop
    let offered = false
    await b.libp2p.unhandle(REPLICATE_PROTOCOL)
    await b.libp2p.handle(REPLICATE_PROTOCOL, () => { offered = true })
    const booth = a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: utf8.encode('v1') }] })
    await waitFor(() => offered, { message: 'the transfer to b under way' })
    const { dataDir } = a.config
    // observed before the stop that ends it (a rejection nobody listens to yet is an unhandled one)
    const ended = expect(booth).rejects.toMatchObject({ name: 'ReplicationStoppedError', message: expect.stringMatching(/blocks up to height 1 are committed/) })
    await cluster.stopNode(a)
    await ended
    // no table was signed for the round
    const again = await cluster.create({ dataDir })
    await again.start()
    expect(again.vguarddb.tables.get(self)).toBeUndefined()
    expect((await again.chains.tip(self)).height).toBe(1)
  })

  it.each([0, 3, 8])('ends of booth a stop overtakes (after %i ms) end in a stop error, and what was acknowledged stays', async (delay) => {
    const [a, b, c] = await connectedSwarm(cluster, 3)
    const participants = [b.peerId.toString(), c.peerId.toString()]
    const outcomes = Array.from({ length: 4 }, async (_, i) => {
      try {
        const done = await a.endOfBooth({ participants, transactions: [{ key: `e${i}`, value: new Uint8Array(256 * 1024).fill(i) }] })
        return { key: `e${i}`, height: done.height }
      } catch (err) {
        return { key: `e${i}`, error: (err as Error).name }
      }
    })
    await new Promise(resolve => setTimeout(resolve, delay))
    await cluster.stopNode(a)
    const settled = await Promise.all(outcomes)
    for (const outcome of settled) {
      if ('error' in outcome) expect(['ConsensusStoppedError', 'ReplicationStoppedError', 'NodeStoppedError', 'NotStartedError']).toContain(outcome.error)
    }
    // the same vehicle again: every block acknowledged is there
    const again = await cluster.create({ dataDir: a.config.dataDir })
    for (const outcome of settled) {
      if (!('height' in outcome)) continue
      const held = await again.chains.get(a.peerId.toString(), outcome.key)
      expect(held?.value, outcome.key).toEqual(new Uint8Array(256 * 1024).fill(Number(outcome.key.slice(1))))
    }
  })
})
