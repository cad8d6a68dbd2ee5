/**
 * /vguard/sync/1.0.0 serves connected members of our network only: a vehicle
 * of another network that asks the moment it connects (before identify has
 * shown which network it runs) gets no tip and no block, while a member that
 * does the same is served. A refused asker still connected is answered why
 * (SyncResponse ERROR with `refused`): a SyncRefusedError, not a reset.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import type { Logger, PeerId } from '@libp2p/interface'
import { format } from 'node:util'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { sync } from '../../src/protocols/sync/index.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReconcileOnConnect } from '../../src/node/reconcile-on-connect.ts'

const utf8 = new TextEncoder()

/** A started node of the test network whose own chain holds three blocks. */
async function holder (cluster: TestCluster): Promise<VGuardNode> {
  const A = await cluster.create()
  await A.start()
  const chainId = A.peerId.toString()
  for (let i = 0; i < 3; i++) {
    await A.chains.append(createBlock({ prev: await A.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: `k${i}`, value: utf8.encode('v') }] }))
  }
  return A
}

describe('sync - only members of our network may sync', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle of another network gets no blocks; a member that fetches on connecting gets them all', async () => {
    const A = await holder(cluster)
    const chainId = A.peerId.toString()
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await outsider.start()

    // ask the moment the connection is up: identify has not run yet on either side
    await outsider.libp2p.dial(A.multiaddrs[0])
    // refused, or hung up on (A's peering drops a vehicle of another network once identify shows it, before the
    // membership wait runs out: no answer can reach it then)
    await expect(outsider.sync.fetch(A.peerId, chainId)).rejects.toThrow()
    expect((await outsider.chains.tip(chainId)).height).toBe(0)
    expect(await outsider.chains.info(chainId)).toBeUndefined()

    const B = await cluster.create()
    await B.start()
    await B.libp2p.dial(A.multiaddrs[0])
    const fetched = await B.sync.fetch(A.peerId, chainId)
    expect(fetched).toMatchObject({ fetched: 3, complete: true, remoteHeight: 3 })
    expect(await B.chains.tip(chainId)).toEqual(await A.chains.tip(chainId))
  })
  it('a peer the responder does not admit is answered why: a typed error, not a reset', async () => {
    const A = await holder(cluster)
    const chainId = A.peerId.toString()
    const B = await cluster.create()
    await B.start()
    const protocolPrefix = `vguard-test-not-admitted-${process.pid}`
    const guarded = sync({ protocolPrefix, membershipWait: 200 })({ libp2p: A.libp2p, store: A.chains, logger: defaultLogger(), peers: () => [], allowPeer: () => false })
    const asker = sync({ protocolPrefix })({ libp2p: B.libp2p, store: B.chains, logger: defaultLogger(), peers: () => [] })
    await Promise.all([guarded.start(), asker.start()])
    try {
      await B.libp2p.dial(A.multiaddrs[0])
      // it was reset unanswered: the asker read "broke off" (ProtocolError), and only A's log said why
      const refused = { name: 'SyncRefusedError', reason: 'not a member of this network', message: expect.stringMatching(/refused to sync with this node: not a member of this network/) }
      await expect(asker.tip(A.peerId, chainId)).rejects.toMatchObject(refused)
      await expect(asker.fetch(A.peerId, chainId)).rejects.toMatchObject(refused)
      await expect(asker.writeIds(A.peerId, chainId, 1, 3)).rejects.toMatchObject(refused)
      expect(await B.chains.info(chainId)).toBeUndefined()
      // and a reconcile names A as a peer that refused it, and why: not one that did not answer
      // (it was listed `unreachable`, the reason in B's log only). Not for good: A may count B a member once identify ran
      const [result] = await asker.reconcile(chainId, { peers: [A.peerId] })
      expect(result).toMatchObject({ before: 0, after: 0, unreachable: [], dropped: [], refused: [{ peer: A.peerId.toString(), reason: 'not a member of this network', lasting: false }] })
    } finally {
      await Promise.all([guarded.stop(), asker.stop()])
    }
  })

  it('a member refused for a lasting reason (two processes run its identity) is answered why at once, not waited for', async () => {
    const A = await holder(cluster)
    const chainId = A.peerId.toString()
    const B = await cluster.create()
    await B.start()
    const protocolPrefix = `vguard-test-refused-${process.pid}`
    // longer than the test may run: a responder that waited it out would leave the asker to its own timeout
    const guarded = sync({ protocolPrefix, membershipWait: 10 * 60_000 })({
      libp2p: A.libp2p,
      store: A.chains,
      logger: defaultLogger(),
      peers: () => [],
      allowPeer: () => false,
      refusal: (peer: PeerId) => peer.equals(B.peerId) ? 'two processes run its identity' : undefined
    })
    const asker = sync({ protocolPrefix })({ libp2p: B.libp2p, store: B.chains, logger: defaultLogger(), peers: () => [] })
    await Promise.all([guarded.start(), asker.start()])
    try {
      await B.libp2p.dial(A.multiaddrs[0])
      await waitFor(() => A.peers().some(p => p.peerId === B.peerId.toString()), { message: 'A counts B as a member' })
      // answered with the reason, at once: a typed error the asker can tell from a peer that went away
      await expect(asker.tip(A.peerId, chainId)).rejects.toMatchObject({ name: 'SyncRefusedError', reason: 'two processes run its identity', message: expect.stringMatching(/refused .*two processes run its identity/) })
      await expect(asker.fetch(A.peerId, chainId)).rejects.toMatchObject({ name: 'SyncRefusedError', reason: 'two processes run its identity' })
      await expect(asker.writeIds(A.peerId, chainId, 1, 3)).rejects.toMatchObject({ name: 'SyncRefusedError', reason: 'two processes run its identity' })
      expect(await B.chains.info(chainId)).toBeUndefined()
      const [result] = await asker.reconcile(chainId, { peers: [A.peerId] })
      expect(result).toMatchObject({ before: 0, after: 0, unreachable: [], dropped: [], refused: [{ peer: A.peerId.toString(), reason: 'two processes run its identity', lasting: true }] })
    } finally {
      await Promise.all([guarded.stop(), asker.stop()])
    }
  })

  // reconcile-on-connect asks a peer again while it stays connected if it could not be read; a refusal for a
  // lasting reason would only be repeated (and it was: every retry asked, as of a peer that did not answer)
  it.each([
    { why: 'two processes run its identity', lasting: true, asks: 1 },
    { why: 'not a member of this network', lasting: false, asks: 1 + RETRIES.length }
  ])('reconcile on connect asks a peer that refused it ($why) $asks time(s) while connected', async ({ why, lasting, asks }) => {
    const A = await holder(cluster)
    const chainId = A.peerId.toString()
    const B = await cluster.create()
    await B.start()
    const protocolPrefix = `vguard-test-refused-on-connect-${process.pid}`
    let refusals = 0
    const guarded = sync({ protocolPrefix, membershipWait: 100 })({
      libp2p: A.libp2p,
      store: A.chains,
      logger: defaultLogger(),
      peers: () => [],
      allowPeer: () => false,
      refusal: (peer: PeerId) => {
        if (!lasting || !peer.equals(B.peerId)) return undefined
        refusals++
        return why
      }
    })
    const asker = sync({ protocolPrefix })({ libp2p: B.libp2p, store: B.chains, logger: defaultLogger(), peers: () => [] })
    await Promise.all([guarded.start(), asker.start()])
    let reconciles = 0
    const log = recordingLog()
    const reconciler = new ReconcileOnConnect({
      // A's chain by name: B holds nothing, and a reconcile of the chains held would ask for nothing
      sync: { reconcile: async (_chainId, options) => { reconciles++; return await asker.reconcile(chainId, options) } },
      isConnected: (peer) => B.libp2p.getConnections(peer).length > 0,
      log: log.logger,
      delays: RETRIES
    })
    try {
      await B.libp2p.dial(A.multiaddrs[0])
      reconciler.start()
      reconciler.peer(A.peerId)
      // either way the quick asks end: given up on for this connection, or asked at every growing
      // pause (and then every 30 s, RECONCILE_STEADY_DELAY, which outlasts this test)
      await waitFor(() => log.lines.some(l => /still failing|not asked again/.test(l)), { message: 'the reconciler to end its quick asks of A', state: () => log.lines })
      expect(reconciles).toBe(asks)
      if (lasting) expect(refusals).toBe(asks)
      expect(log.lines.join('\n')).toContain(why)
      expect(await B.chains.info(chainId)).toBeUndefined()
    } finally {
      reconciler.stop()
      await Promise.all([guarded.stop(), asker.stop()])
    }
  })
})

/** Pauses between reconcile-on-connect's asks here: short, their count is what matters. */
const RETRIES = [5, 5, 5]

/** A logger that keeps each line, its arguments filled in, for the test to read. */
function recordingLog (): { logger: Logger, lines: string[] } {
  const lines: string[] = []
  const keep = (formatter: unknown, ...args: unknown[]): void => { lines.push(format(String(formatter), ...args)) }
  const logger: Logger = Object.assign(keep, { error: keep, trace: keep, enabled: true, newScope: () => logger })
  return { logger, lines }
}
