/**
 * What gossipsub's score makes of our topics, on real libp2p nodes over
 * loopback: a member that keeps publishing junk our validators reject falls
 * below the graylist threshold (its RPCs are then ignored, not decoded and
 * verified each time), while vehicles in normal operation reject nothing of
 * each other and never score below 0.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { defaultPeerScoreThresholds } from '@libp2p/gossipsub/score'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { RPC } from '@libp2p/gossipsub/message'
import type { Message } from '@libp2p/gossipsub'
import { buildLibp2p } from '../../src/node/libp2p.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { resolveConfig } from '../../src/node/config.ts'
import { agentVersion } from '../../src/protocols/agent.ts'
import { VERSION } from '../../src/node/version.ts'
import type { Peering } from '../../src/node/peering.ts'
import { peersTopic } from '../../src/protocols/peer-exchange/index.ts'
import { boothsTopic } from '../../src/node/vguarddb.ts'
import { BoothResult, signTable } from '../../src/backup/index.ts'
import { PeerAnnouncement } from '../../src/protocols/peer-exchange/pb/peer-exchange.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { TestCluster, connectedSwarm, vehiclePair } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'

const NETWORK = `test-${process.pid}`
const utf8 = new TextEncoder()

function peering (node: VGuardNode): Peering {
  return (node as unknown as { peering: Peering }).peering
}

/** gossipsub's score of a peer at a node (the class has it, the GossipSub interface does not say so). */
function scoreAt (node: VGuardNode, peer: PeerId): number {
  return (node.libp2p.services.pubsub as unknown as { getScore: (id: string) => number }).getScore(peer.toString())
}

/** The parts of gossipsub a member that forges gossip uses: its streams, and sending an RPC down one. */
interface GossipInternals {
  streamsOutbound: Map<string, unknown>
  sendRpc: (peer: string, rpc: RPC) => boolean
}

/** A gossip message signed as gossipsub signs one (StrictSign), with the sequence number we choose. */
async function signedMessage (key: PrivateKey, topic: string, seqno: Uint8Array, data: Uint8Array): Promise<RPC.Message> {
  const from = peerIdFromPrivateKey(key).toMultihash().bytes
  const signedPart = RPC.Message.encode({ from, data, seqno, topic })
  const prefix = utf8.encode('libp2p-pubsub:')
  const bytes = new Uint8Array(prefix.byteLength + signedPart.byteLength)
  bytes.set(prefix)
  bytes.set(signedPart, prefix.byteLength)
  return { from, data, seqno, topic, signature: await key.sign(bytes) }
}

/** The messages gossipsub counts against a peer as invalid on a topic at a node, as they stand (the score is cached for a heartbeat). */
function invalidDeliveries (node: VGuardNode, peer: PeerId, topic: string): number {
  const pubsub = node.libp2p.services.pubsub as unknown as { dumpPeerScoreStats: () => Record<string, { topics: Record<string, { invalidMessageDeliveries: number } | undefined> } | undefined> }
  return pubsub.dumpPeerScoreStats()[peer.toString()]?.topics[topic]?.invalidMessageDeliveries ?? 0
}

interface Verdict { topic: string, propagator: string, result: TopicValidatorResult }

/** Wraps a node's validators of both topics: what each answered, to whom. */
function watchValidators (node: VGuardNode): Verdict[] {
  const seen: Verdict[] = []
  const validators = node.libp2p.services.pubsub.topicValidators
  for (const topic of [boothsTopic(NETWORK), peersTopic(NETWORK)]) {
    const inner = validators.get(topic)
    if (inner == null) throw new Error(`no validator on ${topic}`)
    validators.set(topic, async (propagator: PeerId, message: Message) => {
      const result = await inner(propagator, message)
      seen.push({ topic, propagator: propagator.toString(), result })
      return result
    })
  }
  return seen
}

describe('gossip - score', () => {
  const cluster = new TestCluster()
  const others: Array<VGuardLibp2p | Libp2p> = []
  afterEach(async () => {
    await Promise.all(others.splice(0).map(async n => { await n.stop() }))
    await cluster.teardown()
  })

  it('a member that keeps publishing booth results that do not verify falls below the graylist threshold at the member it reached', async () => {
    const A = await cluster.create()
    await A.start()
    // a member: our stack on our network (it answers identify), publishing through gossipsub directly
    const config = resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: NETWORK })
    const M = await buildLibp2p({ config, privateKey: await generateKeyPair('Ed25519'), isDenied: () => false, logger: defaultLogger() })
    others.push(M)
    await M.start()
    await M.dial(A.multiaddrs[0])
    const booths = boothsTopic(NETWORK)
    await waitFor(() => peering(A).isMember(M.peerId), { message: 'A counts M a member' })
    await waitFor(() => M.services.pubsub.getSubscribers(booths).some(p => p.equals(A.peerId)), { message: 'M knows A takes booth results' })
    const seen = watchValidators(A)
    const ownerKey = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(ownerKey).toString()
    // tables whose signature does not verify: each costs A a decode and an Ed25519 check
    for (let epoch = 1; epoch <= 3; epoch++) {
      const table = (await signTable(ownerKey, owner, { chainId: owner, epoch, active: [], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed.slice()
      table[table.length - 1] ^= 1
      await M.services.pubsub.publish(booths, BoothResult.encode({ chainId: owner, height: 1, tipHash: new Uint8Array(32), participants: [], table }))
    }
    await waitFor(() => seen.filter(v => v.result === TopicValidatorResult.Reject).length === 3, { message: 'A rejected the three' })
    const score = (): number => scoreAt(A, M.peerId)
    // the score is cached for a heartbeat (1 s)
    await waitFor(() => score() < defaultPeerScoreThresholds.graylistThreshold, { timeout: 3_000, message: 'M graylisted at A', state: () => ({ score: score() }) })
    // cut off from gossip only: still a member, still connected
    expect(peering(A).isMember(M.peerId)).toBe(true)
  })

  it('vehicles in normal operation (writes with booth results, peer exchange) reject nothing of each other and score each other at least 0', async () => {
    const nodes = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const seen = nodes.map(watchValidators)
    const [A, B, C] = nodes
    for (let i = 0; i < 2; i++) {
      await Promise.all([A, B].map(async n => await n.put(`gps/${i}`, utf8.encode(`49.0${i},8.40`))))
    }
    // every vehicle took the others' last booth results, and views, by gossip
    for (const [i, node] of nodes.entries()) {
      for (const writer of [A, B].filter(w => w !== node)) {
        await waitFor(() => node.vguarddb.tables.get(writer.peerId.toString())?.table.epoch === 2, { message: `${i} holds ${writer.peerId.toString()}'s table at epoch 2` })
      }
      await waitFor(() => seen[i].some(v => v.topic === peersTopic(NETWORK) && v.result === TopicValidatorResult.Accept), { message: `${i} took a view by gossip` })
    }
    expect(seen.flat().filter(v => v.result === TopicValidatorResult.Reject)).toEqual([])
    expect(seen.flat().filter(v => v.topic === boothsTopic(NETWORK) && v.result === TopicValidatorResult.Accept).length).toBeGreaterThan(0)
    for (const node of nodes) {
      for (const other of nodes.filter(o => o !== node)) {
        expect(scoreAt(node, other.peerId)).toBeGreaterThanOrEqual(0)
      }
    }
    expect(C.peers()).toHaveLength(2)
  })

  it('a member that signs junk and a sound message under one sequence number, each to another member, gets no honest relay of the sound one scored down', async () => {
    const { a: X, b: Y } = await vehiclePair(cluster)
    const config = resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: NETWORK })
    const mKey = await generateKeyPair('Ed25519')
    const M = await buildLibp2p({ config, privateKey: mKey, isDenied: () => false, logger: defaultLogger() })
    others.push(M)
    await M.start()
    await M.dial(X.multiaddrs[0])
    await M.dial(Y.multiaddrs[0])
    const gossip = M.services.pubsub as unknown as GossipInternals
    await waitFor(() => peering(X).isMember(M.peerId) && peering(Y).isMember(M.peerId), { message: 'X and Y count M a member' })
    await waitFor(() => gossip.streamsOutbound.has(X.peerId.toString()) && gossip.streamsOutbound.has(Y.peerId.toString()), { message: 'M has gossip streams to X and Y' })
    const seenAtX = watchValidators(X)
    const seenAtY = watchValidators(Y)
    const ownerKey = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(ownerKey).toString()
    const signed = (await signTable(ownerKey, owner, { chainId: owner, epoch: 1, active: [], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed.slice()
    const broken = signed.slice()
    broken[broken.length - 1] ^= 1
    const boothResult = (table: Uint8Array<ArrayBuffer>): Uint8Array => BoothResult.encode({ chainId: owner, height: 1, tipHash: new Uint8Array(32), participants: [], table })
    const cases: Array<{ topic: string, junk: Uint8Array, sound: Uint8Array }> = [
      { topic: boothsTopic(NETWORK), junk: boothResult(broken), sound: boothResult(signed) },
      { topic: peersTopic(NETWORK), junk: Uint8Array.of(0xff, 0xff, 0xff), sound: PeerAnnouncement.encode({ peers: [] }) }
    ]
    for (const [i, { topic, junk, sound }] of cases.entries()) {
      // Y relays what it takes to its mesh: X must be in it for the sound message to reach X from Y
      await waitFor(() => (Y.libp2p.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(topic).includes(X.peerId.toString()), { message: `X in Y's mesh of ${topic}` })
      const seqno = new Uint8Array(8)
      new DataView(seqno.buffer).setBigUint64(0, BigInt(Date.now()) * 1_000_000n + BigInt(i), false)
      const J = await signedMessage(mKey, topic, seqno, junk)
      const S = await signedMessage(mKey, topic, seqno, sound)
      const rejectedAtX = (): boolean => seenAtX.some(v => v.topic === topic && v.propagator === M.peerId.toString() && v.result === TopicValidatorResult.Reject)
      expect(gossip.sendRpc(X.peerId.toString(), { subscriptions: [], messages: [J] })).toBe(true)
      await waitFor(rejectedAtX, { message: `X rejected the junk on ${topic}` })
      expect(gossip.sendRpc(Y.peerId.toString(), { subscriptions: [], messages: [S] })).toBe(true)
      await waitFor(() => seenAtY.some(v => v.topic === topic && v.propagator === M.peerId.toString() && v.result === TopicValidatorResult.Accept), { message: `Y took the sound message on ${topic}` })
      // the relay reached X: X took it from Y, or (ids by sender and number) counted it a copy of the junk against Y
      const takenFromY = (): boolean => seenAtX.some(v => v.topic === topic && v.propagator === Y.peerId.toString() && v.result === TopicValidatorResult.Accept)
      await waitFor(() => takenFromY() || invalidDeliveries(X, Y.peerId, topic) > 0, { timeout: 5_000, message: `Y's relay on ${topic} judged at X` })
      expect({ topic, invalidFromY: invalidDeliveries(X, Y.peerId, topic) }).toEqual({ topic, invalidFromY: 0 })
      expect(takenFromY()).toBe(true)
      expect(invalidDeliveries(X, M.peerId, topic)).toBe(1)
    }
    // the sender of the junk is the one scored down (the score is cached for a heartbeat, 1 s)
    await waitFor(() => scoreAt(X, M.peerId) < 0, { timeout: 3_000, message: 'M scored down at X', state: () => ({ score: scoreAt(X, M.peerId) }) })
    expect(scoreAt(X, Y.peerId)).toBeGreaterThanOrEqual(0)
    expect(scoreAt(Y, X.peerId)).toBeGreaterThanOrEqual(0)
  })

  it('an honest member whose view lists the address a member advertised in a form that parses only as bytes is not scored down for it', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    const seenAtB = watchValidators(B)
    // a member (our network's agent) whose identify advertises, beside its real address, one whose dns4
    // name holds a '/': valid as bytes (identify takes it), its text form ("/dns4/a/b/c/tcp/1234") parses as no address
    const utf8Bytes = utf8.encode('a/b/c')
    const slashed = multiaddr(Uint8Array.from([54, utf8Bytes.length, ...utf8Bytes, 6, 0x04, 0xd2]))
    const M = await createLibp2p({
      nodeInfo: { userAgent: agentVersion(VERSION, NETWORK) },
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'], announceFilter: (addrs) => [...addrs, slashed] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    others.push(M)
    await M.dial(A.multiaddrs[0])
    await waitFor(() => peering(A).isMember(M.peerId), { message: 'A counts M a member' })
    await waitFor(async () => (await A.libp2p.peerStore.get(M.peerId)).addresses.some(a => a.multiaddr.equals(slashed)), { message: 'A holds the address M advertised' })
    // A's view changed (a new member): A tells the others, as it does when its storage figures change
    peering(A).announceSoon()
    const fromA = (): Verdict[] => seenAtB.filter(v => v.topic === peersTopic(NETWORK) && v.propagator === A.peerId.toString())
    // B judged a view of A's that lists M: rejected it, or took it and so heard of M (from A alone)
    await waitFor(async () => fromA().some(v => v.result === TopicValidatorResult.Reject) || await B.libp2p.peerStore.has(M.peerId), { message: 'B judged a view of A listing M' })
    expect(fromA().filter(v => v.result === TopicValidatorResult.Reject)).toEqual([])
    expect(scoreAt(B, A.peerId)).toBeGreaterThanOrEqual(0)
  })
})
