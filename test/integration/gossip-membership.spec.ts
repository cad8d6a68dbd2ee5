/**
 * What gossip a vehicle takes, on real libp2p nodes over loopback: only a
 * member's (a peer that never answered identify is neither member nor
 * refused, and its views were taken and relayed), and from a member's views
 * only so many peers to meet, and so many dials of them at once (one member
 * listing made-up peers filled every node's dial queue, peer store and
 * memory, and writes failed: a review's flood), and for each so many
 * addresses (a member's views buried a lost member's real address, and grew
 * one peer's record without bound: a review).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'
import { buildLibp2p } from '../../src/node/libp2p.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { resolveConfig } from '../../src/node/config.ts'
import { MAX_DISCOVERED, MAX_DISCOVERY_DIALS } from '../../src/node/peering.ts'
import type { Peering } from '../../src/node/peering.ts'
import { peersTopic } from '../../src/protocols/peer-exchange/index.ts'
import { boothsTopic } from '../../src/node/vguarddb.ts'
import { BoothResult, signTable } from '../../src/backup/index.ts'
import { PeerAnnouncement } from '../../src/protocols/peer-exchange/pb/peer-exchange.ts'
import { MAX_PEERS_PER_ANNOUNCEMENT } from '../../src/protocols/peer-exchange/constants.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { sample } from '../utils/prometheus.ts'
import { madeUpPeerIds } from '../utils/peer-ids.ts'
import { startedLibp2p } from '../utils/libp2p.ts'

const NETWORK = `test-${process.pid}`

/** The node's peering, which VGuardNode keeps to itself. */
function peering (node: VGuardNode): Peering {
  return (node as unknown as { peering: Peering }).peering
}

function discovered (node: VGuardNode): { has: (id: string) => boolean, size: number } {
  return (peering(node) as unknown as { discovered: { has: (id: string) => boolean, size: number } }).discovered
}

/** Wraps the node's validator of the peers topic: what it answered, per propagator. */
function watchValidator (node: VGuardNode): Array<{ propagator: string, result: TopicValidatorResult }> {
  const seen: Array<{ propagator: string, result: TopicValidatorResult }> = []
  const validators = node.libp2p.services.pubsub.topicValidators
  const topic = peersTopic(NETWORK)
  const inner = validators.get(topic)
  if (inner == null) throw new Error('no validator on the peers topic')
  validators.set(topic, async (propagator: PeerId, message: Message) => {
    const result = await inner(propagator, message)
    seen.push({ propagator: propagator.toString(), result })
    return result
  })
  return seen
}

/** A member that publishes views of its own making: our stack and network, so it answers identify; stopped by the test's teardown. */
async function viewMaker (A: VGuardNode, others: VGuardLibp2p[]): Promise<VGuardLibp2p> {
  const config = resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: NETWORK })
  const M = await buildLibp2p({ config, privateKey: await generateKeyPair('Ed25519'), isDenied: () => false, logger: defaultLogger() })
  others.push(M)
  await M.start()
  await M.dial(A.multiaddrs[0])
  await waitFor(() => peering(A).isMember(M.peerId), { message: 'A counts M a member' })
  await waitFor(() => M.services.pubsub.getSubscribers(peersTopic(NETWORK)).some(p => p.equals(A.peerId)), { message: 'M knows A subscribes' })
  return M
}

async function storedAddrs (node: VGuardNode, peerId: PeerId): Promise<string[]> {
  const peer = await node.libp2p.peerStore.get(peerId).catch(() => undefined)
  return (peer?.addresses ?? []).map(a => a.multiaddr.toString())
}

describe('gossip - only members, and bounded', () => {
  const cluster = new TestCluster()
  const others: VGuardLibp2p[] = []
  const servers: Server[] = []
  const sockets = new Set<Socket>()
  afterEach(async () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
    await Promise.all(servers.splice(0).map(async s => { await new Promise(resolve => s.close(resolve)) }))
    await Promise.all(others.splice(0).map(async n => { await n.stop() }))
    await cluster.teardown()
  })

  it('a connected peer that never answers identify is no member: its views are ignored (at once when it hangs up), their peers never met', async () => {
    const [A] = await connectedSwarm(cluster, 2)
    const seen = watchValidator(A)
    // a libp2p node of our stack on our network that does not answer identify
    const config = resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: NETWORK })
    const X = await buildLibp2p({ config, privateKey: await generateKeyPair('Ed25519'), isDenied: () => false, logger: defaultLogger() })
    others.push(X)
    await X.start()
    await X.unhandle('/ipfs/id/1.0.0')
    const topic = peersTopic(NETWORK)
    X.services.pubsub.subscribe(topic)
    await X.dial(A.multiaddrs[0])
    await waitFor(() => A.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(X.peerId)), { message: 'A knows X subscribes' })
    await waitFor(() => X.services.pubsub.getSubscribers(topic).some(p => p.equals(A.libp2p.peerId)), { message: 'X knows A subscribes' })
    const fakes = await madeUpPeerIds(5)
    const view = PeerAnnouncement.encode({ peers: fakes.map((peerId, i) => ({ peerId, addrs: [`/ip4/127.0.0.1/tcp/${i + 1}`] })) })
    await X.services.pubsub.publish(topic, view)
    // the view waits for identify's verdict on X, which never comes; X hanging up ends the wait at once
    const waiting = (peering(A) as unknown as { verdicts: { waiters: Map<string, Set<unknown>> } }).verdicts.waiters
    await waitFor(() => waiting.has(X.peerId.toString()), { message: 'X\'s view waits for a verdict' })
    expect(peering(A).isMember(X.peerId)).toBe(false)
    await X.stop()
    await waitFor(() => seen.some(s => s.propagator === X.peerId.toString()), { timeout: 5_000, message: 'A validated X\'s view once X left' })
    expect(waiting.size).toBe(0)
    expect(seen.filter(s => s.propagator === X.peerId.toString()).map(s => s.result)).toEqual([TopicValidatorResult.Ignore])
    for (const id of fakes) expect(discovered(A).has(id)).toBe(false)
    const stored = new Set((await A.libp2p.peerStore.all()).map(p => p.id.toString()))
    expect(fakes.filter(id => stored.has(id))).toEqual([])
    expect(sample(await A.metrics.metrics(), 'vguard_gossip_dropped_total', { reason: 'outside' })).toBeGreaterThanOrEqual(1)
  })

  it('a member\'s gossip that comes before our identify of it ends waits for the verdict, and counts', async () => {
    const [A, B] = await Promise.all([cluster.create(), cluster.create()])
    await Promise.all([A.start(), B.start()])
    // B answers identify late, as a loaded host does: B's gossip reaches A before A has judged B
    const identify = B.libp2p.services.identify as unknown as { handleProtocol: (...args: unknown[]) => Promise<void> }
    await B.libp2p.unhandle('/ipfs/id/1.0.0')
    await B.libp2p.handle('/ipfs/id/1.0.0', async (...args: unknown[]) => {
      await new Promise(resolve => setTimeout(resolve, 2_000))
      await identify.handleProtocol(...args)
    })
    const topic = peersTopic(NETWORK)
    await B.libp2p.dial(A.multiaddrs[0])
    await waitFor(() => B.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(A.libp2p.peerId)), { message: 'B knows A subscribes' })
    expect(peering(A).isMember(B.peerId)).toBe(false)
    const [someone] = await madeUpPeerIds(1)
    await B.libp2p.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers: [{ peerId: someone, addrs: ['/ip4/127.0.0.1/tcp/1'] }] }))
    // before, it was ignored (and noted as seen, so never taken again)
    await waitFor(() => discovered(A).has(someone), { message: 'A took B\'s view once it judged B a member' })
    expect(peering(A).isMember(B.peerId)).toBe(true)
  })

  it('peers that never answer do not keep the dials: one heard of after them is met', async () => {
    const options = { reconnectInterval: 500 }
    const [A, B] = await connectedSwarm(cluster, 2, options)
    // a short retry window: one heard of behind a crowd waits for a dial slot longer than that
    // (a review: given up before its first dial, counted from when it was heard of)
    ;(peering(A) as unknown as { discovered: { retryWindow: number } }).discovered.retryWindow = 2_000
    const C = await cluster.create(options)
    await C.start()
    const tarpit = createServer(socket => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)) })
    servers.push(tarpit)
    await new Promise<void>(resolve => tarpit.listen(0, '127.0.0.1', resolve))
    const port = (tarpit.address() as { port: number }).port
    const topic = peersTopic(NETWORK)
    await waitFor(() => B.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(A.libp2p.peerId)), { message: 'B knows A subscribes' })
    // three times the dials at once, each held until its timeout (2.5 s here)
    const silent = await madeUpPeerIds(3 * MAX_DISCOVERY_DIALS)
    await B.libp2p.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers: silent.map(peerId => ({ peerId, addrs: [`/ip4/127.0.0.1/tcp/${port}`] })) }))
    await waitFor(() => silent.every(id => discovered(A).has(id)), { message: 'A heard of the silent peers' })
    // C knows nobody: only A can meet it, as B names it
    await B.libp2p.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers: [{ peerId: C.peerId.toString(), addrs: C.multiaddrs.map(m => m.toString()) }] }))
    await waitFor(() => A.libp2p.getConnections(C.peerId).length > 0, { timeout: 30_000, message: 'A met C' })
  })

  it('a member\'s views name peers to meet up to a bound, dialled a few at a time', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    // a tarpit: takes connections and never answers, as an address out of reach would hold a dial
    const tarpit = createServer(socket => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)) })
    servers.push(tarpit)
    await new Promise<void>(resolve => tarpit.listen(0, '127.0.0.1', resolve))
    const port = (tarpit.address() as { port: number }).port
    let inFlight = 0
    let most = 0
    const dial = A.libp2p.dial.bind(A.libp2p)
    const fakes = await madeUpPeerIds(MAX_DISCOVERED + 100)
    const fake = new Set(fakes)
    A.libp2p.dial = (async (...args: Parameters<typeof dial>) => {
      const counted = fake.has(args[0].toString())
      if (counted) most = Math.max(most, ++inFlight)
      try {
        return await dial(...args)
      } finally {
        if (counted) inFlight--
      }
    }) as typeof dial
    const topic = peersTopic(NETWORK)
    await waitFor(() => B.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(A.libp2p.peerId)), { message: 'B knows A subscribes' })
    for (let i = 0; i < fakes.length; i += MAX_PEERS_PER_ANNOUNCEMENT) {
      const peers = fakes.slice(i, i + MAX_PEERS_PER_ANNOUNCEMENT).map(peerId => ({ peerId, addrs: [`/ip4/127.0.0.1/tcp/${port}`] }))
      await B.libp2p.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers }))
    }
    // the last view's peers are the ones past the bound: A heard every view once it noted the bound's worth
    await waitFor(() => discovered(A).size >= MAX_DISCOVERED * 3 / 4, { message: 'A noted the views\' peers up to the bound' })
    await waitFor(() => most >= MAX_DISCOVERY_DIALS, { message: 'A dialled some of them' })
    expect(discovered(A).size).toBe(MAX_DISCOVERED * 3 / 4)
    const stored = (await A.libp2p.peerStore.all()).filter(p => fake.has(p.id.toString())).length
    expect(stored).toBeLessThanOrEqual(MAX_DISCOVERED * 3 / 4)
    expect(most).toBe(MAX_DISCOVERY_DIALS)
    // members are not held up behind them: A still counts B a member, and the connection stands
    expect(peering(A).isMember(B.peerId)).toBe(true)
  })

  it('a member\'s views leave no peer more addresses than one view lists, and a view listing a peer twice is dropped whole', async () => {
    const A = await cluster.create()
    await A.start()
    const M = await viewMaker(A, others)
    const topic = peersTopic(NETWORK)
    const [listed] = await madeUpPeerIds(1)
    const listedId = peerIdFromString(listed)
    let port = 1
    const addrs = (): string[] => Array.from({ length: 8 }, () => `/ip4/203.0.113.${port % 250 + 1}/tcp/${port++}`)
    // 128 records of one peer, 8 new addresses each (~7 KiB): 1,024 addresses on it, merged one record at a time
    await M.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers: Array.from({ length: 128 }, () => ({ peerId: listed, addrs: addrs() })) }))
    await waitFor(async () => peering(A).gossipDropped()['malformed-view'] > 0 || (await storedAddrs(A, listedId)).length > 0, { message: 'A took the view' })
    expect({ dropped: peering(A).gossipDropped()['malformed-view'], stored: (await storedAddrs(A, listedId)).length }).toEqual({ dropped: 1, stored: 0 })
    // views one after another, each naming the peer with 8 new addresses: the last one's replace the others'
    for (let view = 0; view < 3; view++) {
      const sent = addrs()
      await M.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers: [{ peerId: listed, addrs: sent }] }))
      await waitFor(async () => { const stored = await storedAddrs(A, listedId); return sent.every(a => stored.includes(a)) }, { message: `A stored view ${view}'s addresses` })
    }
    expect((await storedAddrs(A, listedId)).length).toBe(8)
  })

  it('a member\'s views cannot bury the address of a member we lost: A redials it when it is back', async () => {
    const A = await cluster.create()
    const bDir = await cluster.tempDir()
    let B = await cluster.create({ dataDir: bDir })
    await Promise.all([A.start(), B.start()])
    const bAddr = B.multiaddrs[0]
    // a plain dial, no bootstrap address: only A's peer store knows where B is
    await A.libp2p.dial(bAddr)
    await waitFor(() => peering(A).isMember(B.peerId) && peering(B).isMember(A.peerId), { message: 'A and B members of each other' })
    const M = await viewMaker(A, others)
    const bId = B.peerId
    const before = await storedAddrs(A, bId)
    await cluster.stopNode(B)
    await waitFor(() => A.libp2p.getConnections(bId).length === 0, { message: 'A lost B' })
    // four views, each naming B with 8 made-up public addresses (32 in all: libp2p dials 25 of a peer at most,
    // loopback last), and a made-up peer whose record in A's peer store shows A acted on the view
    const marks = await madeUpPeerIds(4)
    for (const [v, mark] of marks.entries()) {
      const made = Array.from({ length: 8 }, (_, i) => `/ip4/192.0.2.2/tcp/${v * 8 + i + 1}`)
      await M.services.pubsub.publish(peersTopic(NETWORK), PeerAnnouncement.encode({ peers: [{ peerId: bId.toString(), addrs: made }, { peerId: mark, addrs: ['/ip4/127.0.0.1/tcp/1'] }] }))
    }
    await waitFor(async () => (await Promise.all(marks.map(async m => (await storedAddrs(A, peerIdFromString(m))).length > 0))).every(Boolean), { message: 'A took the four views' })
    expect((await storedAddrs(A, bId)).sort()).toEqual(before.sort())
    // B is back at the same address, knowing nobody (its peer store lives in memory): A must redial it
    const bPort = bAddr.toString().match(/\/tcp\/(\d+)/)?.[1] as string
    B = await cluster.create({ dataDir: bDir, listen: [`/ip4/127.0.0.1/tcp/${bPort}`] })
    await B.start()
    await waitFor(() => A.libp2p.getConnections(bId).length > 0, { message: 'A reconnected to B' })
  })

  it('junk a member publishes (an oversized or forged booth result, a view listing a peer twice) is rejected by the member it reached and relayed no further', async () => {
    const A = await cluster.create()
    const C = await cluster.create()
    await Promise.all([A.start(), C.start()])
    await A.libp2p.dial(C.multiaddrs[0])
    await waitFor(() => peering(A).isMember(C.peerId) && peering(C).isMember(A.peerId), { message: 'A and C members' })
    // M reaches C only through A: C is on neither of M's topics' meshes but through A
    const M = await viewMaker(A, others)
    const booths = boothsTopic(NETWORK)
    const views = peersTopic(NETWORK)
    const mesh = A.libp2p.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }
    await waitFor(() => [booths, views].every(t => mesh.getMeshPeers(t).includes(C.peerId.toString())), { message: 'C in A\'s meshes' })
    await waitFor(() => M.services.pubsub.getSubscribers(booths).some(p => p.equals(A.peerId)), { message: 'M knows A takes booth results' })
    const validator = watchValidator(A)

    const ownerKey = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(ownerKey).toString()
    const boothResult = async (epoch: number, forge = false): Promise<Uint8Array> => {
      const table = (await signTable(ownerKey, owner, { chainId: owner, epoch, active: [], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed.slice()
      if (forge) table[table.length - 1] ^= 1
      return BoothResult.encode({ chainId: owner, height: 1, tipHash: new Uint8Array(32), participants: [], table })
    }
    // 1 MiB of nothing (gossipsub takes frames up to 4 MiB), a table whose signature does not verify, a view naming one peer twice
    const [twice] = await madeUpPeerIds(1)
    await M.services.pubsub.publish(booths, new Uint8Array(1024 * 1024).fill(7))
    await M.services.pubsub.publish(booths, await boothResult(9, true))
    await M.services.pubsub.publish(views, PeerAnnouncement.encode({ peers: [{ peerId: twice, addrs: [] }, { peerId: twice, addrs: [] }] }))
    await waitFor(() => A.vguarddb.gossipInvalid === 2 && peering(A).gossipDropped()['malformed-view'] === 1, { message: 'A dropped all three' })
    // then what is sound, on each topic: once C holds it, C would have had the junk before it (A relays in order)
    const [listed] = await madeUpPeerIds(1)
    await M.services.pubsub.publish(booths, await boothResult(1))
    await M.services.pubsub.publish(views, PeerAnnouncement.encode({ peers: [{ peerId: listed, addrs: ['/ip4/127.0.0.1/tcp/1'] }] }))
    await waitFor(async () => C.vguarddb.tables.get(owner)?.table.epoch === 1 && (await storedAddrs(C, peerIdFromString(listed))).length > 0, { message: 'C heard the sound ones' })
    expect(C.libp2p.getConnections(M.peerId)).toHaveLength(0)
    expect({ booths: C.vguarddb.gossipInvalid, views: peering(C).gossipDropped()['malformed-view'] }).toEqual({ booths: 0, views: 0 })
    // rejected as junk, not ignored as gossip from outside would be
    expect(validator.filter(v => v.propagator === M.peerId.toString()).map(v => v.result)).toEqual([TopicValidatorResult.Reject, TopicValidatorResult.Accept])
  })
})

describe('gossip - storage figures replayed', () => {
  const cluster = new TestCluster()
  const others: VGuardLibp2p[] = []
  afterEach(async () => {
    await Promise.all(others.splice(0).map(async n => { await n.stop() }))
    await cluster.teardown()
  })

  it('a member replaying a vehicle\'s older signed view does not bring back the storage figures it has since replaced', async () => {
    const A = await cluster.create()
    await A.start()
    const topic = peersTopic(NETWORK)
    // X, a vehicle of our network, says it has room while nobody hears it; its signed message is what a member keeps to replay
    const X = await startedLibp2p(NETWORK)
    others.push(X)
    const pubsubOf = (node: VGuardLibp2p): RawGossip => node.services.pubsub as unknown as RawGossip
    const view = (free: number): Uint8Array => PeerAnnouncement.encode({ peers: [{ peerId: X.peerId.toString(), addrs: X.getMultiaddrs().map(a => a.toString()), free, held: 0 }] })
    await X.services.pubsub.publish(topic, view(1_000_000))
    const [old] = [...pubsubOf(X).mcache.msgs.values()].map(e => e.message).filter(m => m.topic === topic)
    expect(old).toBeDefined()
    // then it meets A and says it is full
    X.services.pubsub.subscribe(topic)
    await X.dial(A.multiaddrs[0])
    await waitFor(() => peering(A).isMember(X.peerId), { message: 'A counts X a member' })
    await waitFor(() => X.services.pubsub.getSubscribers(topic).some(p => p.equals(A.peerId)), { message: 'X knows A subscribes' })
    await X.services.pubsub.publish(topic, view(0))
    await waitFor(() => peering(A).capacityOf(X.peerId.toString())?.free === 0, { message: 'A heard X is full' })
    // M, another member, sends A the old message as it was signed (A never saw it: no duplicate to drop), then a view of its own
    const M = await viewMaker(A, others)
    const watched = watchValidator(A)
    expect(pubsubOf(M).sendRpc(A.peerId.toString(), { subscriptions: [], messages: [old] })).toBe(true)
    const [listed] = await madeUpPeerIds(1)
    await M.services.pubsub.publish(topic, PeerAnnouncement.encode({ peers: [{ peerId: listed, addrs: ['/ip4/127.0.0.1/tcp/1'] }] }))
    await waitFor(async () => (await storedAddrs(A, peerIdFromString(listed))).length > 0, { message: 'A took M\'s own view after the replay' })
    // the replay reached A's validator (it was judged), and X's figure is still the newer one
    expect(watched.filter(v => v.propagator === M.peerId.toString())).toHaveLength(2)
    expect(peering(A).capacityOf(X.peerId.toString())).toEqual({ free: 0, held: 0 })
  })
})

/** gossipsub's parts a replaying member uses: its message cache and raw sends. */
interface RawGossip {
  mcache: { msgs: Map<string, { message: { topic: string } }> }
  sendRpc: (id: string, rpc: { subscriptions: unknown[], messages: unknown[] }) => boolean
}
