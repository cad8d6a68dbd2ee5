/**
 * /vguard/read/1.0.0 answers connected members of our network only: a vehicle
 * of another network gets FORBIDDEN and nothing of the chain (no value, table,
 * epoch or height), while a member is served even if it reads the moment it
 * connects, before identify has told us it is a member.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import { TestCluster } from '../utils/nodes.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReadService, ReadRequest, readRequest, ReadResponse } from '../../src/protocols/read/index.ts'

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** A node of the test network whose own chain holds k = v. */
async function holder (cluster: TestCluster): Promise<VGuardNode> {
  const A = await cluster.create()
  await A.start()
  const chainId = A.peerId.toString()
  await A.chains.append(createBlock({ prev: await A.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: 'k', value: utf8.encode('v') }] }))
  return A
}

const keyOf = (chain: VGuardNode): ReadRequest => (readRequest({ kind: ReadRequest.Kind.KEY, chainId: chain.peerId.toString(), key: 'k' }))

/** What a refusal must look like: the status and nothing about the chain. */
function expectRefused (res: ReadResponse): void {
  expect(res).toMatchObject({ status: ReadResponse.Status.FORBIDDEN, height: 0, epoch: 0, valueHeight: 0, blocks: [] })
  expect(res.value.byteLength + res.table.byteLength + res.tipHash.byteLength).toBe(0)
  expect(res.message).toMatch(/not a member/)
}

describe('read - only members of our network may read', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle of another network is refused and served nothing; a member that reads on connecting is served', async () => {
    const A = await holder(cluster)
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await outsider.start()
    const before = { ...A.vguarddb.read.stats }

    // read the moment the connection is up: identify has not run yet on either side
    await outsider.libp2p.dial(A.multiaddrs[0])
    const refused = await outsider.vguarddb.read.ask(A.peerId, keyOf(A))
    expectRefused(refused)
    expect(A.vguarddb.read.stats).toEqual({ answered: before.answered, refused: before.refused + 1 })

    const B = await cluster.create()
    await B.start()
    await B.libp2p.dial(A.multiaddrs[0])
    const served = await B.vguarddb.read.ask(A.peerId, keyOf(A))
    expect(served).toMatchObject({ status: ReadResponse.Status.OK, role: ReadResponse.Role.PROPOSER, height: 1 })
    expect(text.decode(served.value)).toBe('v')
    expect(A.vguarddb.read.stats).toEqual({ answered: before.answered + 1, refused: before.refused + 1 })
  })

  it('with the peering\'s view: a non-member of our own network is refused after the wait, an outsider at once', async () => {
    const A = await holder(cluster)
    const B = await cluster.create()
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await Promise.all([B.start(), outsider.start()])
    let members = new Set<string>()
    const protocol = '/vguard-test/read-members/1.0.0'
    const wait = 10_000
    const guarded = new ReadService({
      libp2p: A.libp2p, store: A.chains, tables: A.vguarddb.tables, logger: defaultLogger(), isMember: (peer: PeerId) => members.has(peer.toString())
    }, { protocol, membershipWait: wait })
    await guarded.start()
    try {
      // the outsider is known to run another network once identified: no need to wait for the peering
      await outsider.libp2p.dial(A.multiaddrs[0])
      const started = Date.now()
      const refused = await clientOf(outsider, protocol).ask(A.peerId, keyOf(A))
      expectRefused(refused)
      expect(Date.now() - started).toBeLessThan(wait)

      // B runs our network, but the peering does not count it (e.g. not on the allow list): refused after the wait
      const short = new ReadService({
        libp2p: A.libp2p, store: A.chains, tables: A.vguarddb.tables, logger: defaultLogger(), isMember: (peer: PeerId) => members.has(peer.toString())
      }, { protocol: `${protocol}-short`, membershipWait: 300 })
      await short.start()
      await B.libp2p.dial(A.multiaddrs[0])
      try {
        expectRefused(await clientOf(B, `${protocol}-short`).ask(A.peerId, keyOf(A)))
        expect(short.stats).toEqual({ answered: 0, refused: 1 })
      } finally {
        await short.stop()
      }

      // once the peering counts B, it is served
      members = new Set([B.peerId.toString()])
      const served = await clientOf(B, protocol).ask(A.peerId, keyOf(A))
      expect(text.decode(served.value)).toBe('v')
      expect(guarded.stats).toEqual({ answered: 1, refused: 1 })
    } finally {
      await guarded.stop()
    }
  })
})

describe('read - a member refused for a lasting reason', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('is refused at once (two processes run its identity), told why and served nothing', async () => {
    const A = await holder(cluster)
    const B = await cluster.create()
    await B.start()
    const protocol = '/vguard-test/read-refused/1.0.0'
    // longer than the test may run: a holder that waited it out would fail the test by its timeout
    const guarded = new ReadService({
      libp2p: A.libp2p,
      store: A.chains,
      tables: A.vguarddb.tables,
      logger: defaultLogger(),
      isMember: () => false,
      refusal: (peer: PeerId) => peer.equals(B.peerId) ? 'two processes run its identity' : undefined
    }, { protocol, membershipWait: 10 * 60_000 })
    await guarded.start()
    try {
      await B.libp2p.dial(A.multiaddrs[0])
      const refused = await clientOf(B, protocol).ask(A.peerId, keyOf(A))
      expect(refused).toMatchObject({ status: ReadResponse.Status.FORBIDDEN, height: 0, message: 'two processes run its identity' })
      expect(refused.value.byteLength).toBe(0)
      expect(guarded.stats).toEqual({ answered: 0, refused: 1 })
    } finally {
      await guarded.stop()
    }
  })
})

/** A client-only ReadService on `node` speaking `protocol` (it never serves). */
function clientOf (node: VGuardNode, protocol: string): ReadService {
  return new ReadService({ libp2p: node.libp2p, store: node.chains, tables: node.vguarddb.tables, logger: defaultLogger() }, { protocol })
}
