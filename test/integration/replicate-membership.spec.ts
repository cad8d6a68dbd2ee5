/**
 * /vguard/replicate/1.0.0 takes chains from members of our network only: a
 * vehicle of another network is refused FORBIDDEN and nothing of its chain
 * is stored, while a member that offers the moment it connects (before
 * identify has told us it is a member) is waited for and accepted. Nothing
 * a peer sends is read while it is waited for: the backup's reader, made
 * before the check, took in all of it (found in review: ~16 MiB a stream,
 * outside the offer budget).
 *
 * The node does not pass its peering's view to the service here (that is
 * VGuardDB's wiring): each test runs a backup service of its own, on a test
 * protocol, given that view from the node's connected members.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReplicateService } from '../../src/protocols/replicate/index.ts'
import type { ReplicateComponents } from '../../src/protocols/replicate/index.ts'

/** A started node of the test network (or `network`) whose own chain holds one block. */
async function vehicle (cluster: TestCluster, network?: string): Promise<VGuardNode> {
  const node = await cluster.create(network == null ? {} : { network })
  await node.start()
  const chainId = node.peerId.toString()
  await node.chains.append(createBlock({ prev: await node.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: 'k', value: new Uint8Array(100) }] }))
  return node
}

/** The replicate service of `node` on `protocol`: a backup if started, else only a client. */
function service (node: VGuardNode, protocol: string, extra: Partial<ReplicateComponents> = {}, membershipWait?: number): ReplicateService {
  return new ReplicateService({
    libp2p: node.libp2p,
    store: node.chains,
    logger: defaultLogger(),
    freeCapacity: async () => 1_000_000_000,
    onStored: async () => {},
    ...extra
  }, { protocol, membershipWait })
}

const memberOf = (node: VGuardNode) => (peer: PeerId): boolean => node.peers().some(p => p.peerId === peer.toString())

describe('replicate - only members of our network may push a chain', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle of another network is refused FORBIDDEN at once and nothing is stored; a member is accepted', async () => {
    const B = await vehicle(cluster)
    const outsider = await vehicle(cluster, `other-${process.pid}`)
    const member = await vehicle(cluster)
    const protocol = '/vguard-test/replicate-members/1.0.0'
    const wait = 10_000
    const backup = service(B, protocol, { isMember: memberOf(B) }, wait)
    await backup.start()
    try {
      // offer the moment the connection is up: identify has not run yet on either side
      await outsider.libp2p.dial(B.multiaddrs[0])
      const started = Date.now()
      const outsiderChain = outsider.peerId.toString()
      const refused = service(outsider, protocol).replicateTo(B.peerId, outsiderChain, { epoch: 1 })
      await expect(refused).rejects.toMatchObject({ name: 'ReplicateRefusedError', status: 'FORBIDDEN', message: expect.stringMatching(/FORBIDDEN: not a member of this network/) })
      // identify showed another network: no need to wait for the peering
      expect(Date.now() - started).toBeLessThan(wait)
      expect(await B.chains.info(outsiderChain)).toBeUndefined()
      expect((await B.chains.tip(outsiderChain)).height).toBe(0)

      await member.libp2p.dial(B.multiaddrs[0])
      const memberChain = member.peerId.toString()
      const result = await service(member, protocol).replicateTo(B.peerId, memberChain, { epoch: 1 })
      expect(result.height).toBe(1)
      expect((await B.chains.tip(memberChain)).height).toBe(1)
    } finally {
      await backup.stop()
    }
  })

  it('a peer of our network the peering does not count is waited for: refused after the wait, accepted once it counts', async () => {
    const B = await vehicle(cluster)
    const C = await vehicle(cluster)
    const chainId = C.peerId.toString()
    let admitted = false
    let asked = 0
    const isMember = (): boolean => { asked++; return admitted }
    const short = service(B, '/vguard-test/replicate-short/1.0.0', { isMember }, 300)
    const long = service(B, '/vguard-test/replicate-long/1.0.0', { isMember })
    await Promise.all([short.start(), long.start()])
    try {
      await C.libp2p.dial(B.multiaddrs[0])
      await expect(service(C, '/vguard-test/replicate-short/1.0.0').replicateTo(B.peerId, chainId)).rejects.toMatchObject({ name: 'ReplicateRefusedError', status: 'FORBIDDEN' })
      expect((await B.chains.tip(chainId)).height).toBe(0)

      asked = 0
      const pending = service(C, '/vguard-test/replicate-long/1.0.0').replicateTo(B.peerId, chainId)
      // the backup is polling its view: the peering counts C from now on
      await waitFor(() => asked >= 2, { message: 'the backup to wait for membership' })
      admitted = true
      expect((await pending).height).toBe(1)
      expect((await B.chains.tip(chainId)).height).toBe(1)
    } finally {
      await Promise.all([short.stop(), long.stop()])
    }
  })

  it('a peer of our network refused for a lasting reason (two processes run its identity) is refused at once, told why; nothing is stored', async () => {
    const B = await vehicle(cluster)
    const C = await vehicle(cluster)
    const chainId = C.peerId.toString()
    const protocol = '/vguard-test/replicate-refused/1.0.0'
    // longer than the test may run: a backup that waited it out would fail the test by its timeout
    const backup = service(B, protocol, {
      isMember: () => false,
      refusal: (peer) => peer.equals(C.peerId) ? 'two processes run its identity' : undefined
    }, 10 * 60_000)
    await backup.start()
    try {
      await C.libp2p.dial(B.multiaddrs[0])
      await waitFor(() => memberOf(B)(C.peerId), { message: 'B identified C' })
      await expect(service(C, protocol).replicateTo(B.peerId, chainId, { epoch: 1 })).rejects.toMatchObject({
        name: 'ReplicateRefusedError', status: 'FORBIDDEN', message: expect.stringMatching(/FORBIDDEN: two processes run its identity/)
      })
      expect(await B.chains.info(chainId)).toBeUndefined()
    } finally {
      await backup.stop()
    }
  })

  it('a peer waited for gets no more than its streams\' windows in: nothing it sends is read before it counts', async () => {
    const MiB = 1024 * 1024
    const STREAMS = 4
    const [B, P] = await connectedSwarm(cluster, 2)
    const protocol = `/vguard-test/replicate-unread-until-admitted/${process.pid}`
    // what B's inbound streams hold of what P sent: taken in (dispatched to a reader) or waiting in the stream
    const streams: Stream[] = []
    let dispatched = 0
    const held = (): number => dispatched + streams.reduce((n, s) => n + s.readBufferLength, 0)
    let served = 0
    const libp2p = new Proxy(B.libp2p, {
      get (target, prop, receiver) {
        if (prop === 'handle') {
          return async (proto: string, handler: (stream: Stream, connection: unknown) => Promise<void>, options: unknown) => {
            await (target.handle as (...args: unknown[]) => Promise<void>)(proto, async (stream: Stream, connection: unknown) => {
              streams.push(stream)
              stream.addEventListener('message', (evt) => { dispatched += evt.data.byteLength })
              try {
                await handler(stream, connection)
              } finally {
                served++
              }
            }, options)
          }
        }
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      }
    }) as Libp2p
    // P runs our network, but the peering does not count it (not on the allow list, say): waited for,
    // and what B holds of it looked at every time B asks
    let peak = 0
    const isMember = (): boolean => { peak = Math.max(peak, held()); return false }
    const backup = service(B, protocol, { libp2p, isMember }, 2_000)
    const sending: Stream[] = []
    const writes: Array<Promise<void>> = []
    try {
      await backup.start()
      for (let i = 0; i < STREAMS; i++) {
        const stream = await P.libp2p.dialProtocol(B.peerId, protocol)
        sending.push(stream)
        // raw bytes, 16 MiB a stream, as fast as the stream takes them (a length prefix of an OFFER that never ends would do the same)
        const chunk = new Uint8Array(MiB).fill(1)
        writes.push((async () => {
          for (let n = 0; n < 16; n++) {
            if (!stream.send(chunk)) await stream.onDrain()
          }
        })().catch(() => {}))
      }
      await waitFor(() => served === STREAMS, { message: 'the backup to refuse every stream' })
      // a stream's yamux window each (256 KiB; twice that allowed): the reader took in all 16 MiB of each
      expect(peak).toBeLessThanOrEqual(STREAMS * MiB / 2)
      expect(peak).toBeGreaterThan(0)
    } finally {
      for (const stream of sending) stream.abort(new Error('test over'))
      await backup.stop()
      await Promise.allSettled(writes)
    }
  })
})
