/**
 * Direct peer exchange (/vguard/peer-exchange/1.0.0) between real libp2p
 * nodes on loopback: a vehicle sends its view to one member that connected,
 * and no one else hears of it; only members are listened to, a malformed or
 * oversized view changes nothing, and only the sender speaks for its own
 * storage figures. The periodic gossip round is pushed out of the way (an
 * hour) so that every message seen here is the one the test caused.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { buildLibp2p } from '../../src/node/libp2p.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { resolveConfig } from '../../src/node/config.ts'
import { PeerExchange } from '../../src/protocols/peer-exchange/index.ts'
import type { CapacityHint } from '../../src/protocols/peer-exchange/index.ts'
import { PeerAnnouncement } from '../../src/protocols/peer-exchange/pb/peer-exchange.ts'
import { MAX_ADDRS_PER_PEER, MAX_ANNOUNCEMENT_BYTES, MAX_PEERS_PER_ANNOUNCEMENT } from '../../src/protocols/peer-exchange/constants.ts'
import { waitFor } from '../utils/wait.ts'

const NETWORK = `px-${process.pid}`

interface Vehicle {
  libp2p: VGuardLibp2p
  px: PeerExchange
  /** Peers that announcements told us of, with their addresses. */
  heard: Map<string, Multiaddr[]>
  /** Storage figures taken from announcements. */
  capacities: Map<string, CapacityHint>
  /** Messages received on the peers topic. */
  gossiped: number
  /** Peers this vehicle counts as members (the node's peering decides this). */
  members: Set<string>
}

describe('peer exchange - a view sent straight to a new member', () => {
  const vehicles: Vehicle[] = []
  afterEach(async () => {
    for (const v of vehicles.splice(0)) {
      v.px.stop()
      await v.libp2p.stop()
    }
  })

  /** `members` replaces who the vehicle advertises (its connected members, by default). */
  async function vehicle (network = NETWORK, capacity: CapacityHint = { free: 1000, held: 0 }, members?: () => PeerId[]): Promise<Vehicle> {
    const config = resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network })
    const libp2p = await buildLibp2p({ config, privateKey: await generateKeyPair('Ed25519'), isDenied: () => false, logger: defaultLogger() })
    const v: Vehicle = { libp2p, heard: new Map(), capacities: new Map(), gossiped: 0, members: new Set(), px: undefined as unknown as PeerExchange }
    v.px = new PeerExchange({
      libp2p,
      network,
      members: members ?? (() => libp2p.getPeers().filter(p => v.members.has(p.toString()))),
      isMember: (peer) => v.members.has(peer.toString()),
      onPeer: (peer, addrs) => { v.heard.set(peer.toString(), addrs) },
      capacity: async () => capacity,
      onCapacity: (peer, hint) => { v.capacities.set(peer.toString(), hint) },
      log: defaultLogger().forComponent('test:px'),
      announceInterval: 3_600_000,
      membershipWait: 300
    })
    vehicles.push(v)
    await libp2p.start()
    v.px.start()
    libp2p.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === v.px.topic) v.gossiped++ })
    return v
  }

  /** Connects two vehicles that count each other as members. */
  async function meet (a: Vehicle, b: Vehicle): Promise<void> {
    a.members.add(b.libp2p.peerId.toString())
    b.members.add(a.libp2p.peerId.toString())
    await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
    await waitFor(() => a.libp2p.getPeers().some(p => p.equals(b.libp2p.peerId)) && b.libp2p.getPeers().some(p => p.equals(a.libp2p.peerId)))
  }

  /** Sends raw bytes, length-prefixed, on the direct protocol, as a misbehaving peer would. */
  async function sendRaw (from: Vehicle, to: PeerId, bytes: Uint8Array, maxDataLength = MAX_ANNOUNCEMENT_BYTES): Promise<void> {
    const stream = await from.libp2p.dialProtocol(to, from.px.protocol)
    try {
      await lpStream(stream, { maxDataLength }).write(bytes)
      await stream.close()
    } catch {
      // the receiver may reset the stream as soon as it refuses: what counts is what it did
    }
  }

  it('tells the newcomer whom we know, with their listen addresses and our storage figures, and nobody else', async () => {
    const hub = await vehicle(NETWORK, { free: 4096, held: 12 })
    const old = await vehicle()
    const newcomer = await vehicle()
    await meet(hub, old)
    await meet(newcomer, hub)

    await hub.px.sendTo(newcomer.libp2p.peerId)

    const oldId = old.libp2p.peerId.toString()
    await waitFor(() => newcomer.heard.has(oldId), { message: 'the newcomer to hear of the old member' })
    expect(newcomer.heard.get(oldId)?.map(a => a.toString())).toEqual(old.libp2p.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/.*$/, '')))
    expect(newcomer.heard.get(hub.libp2p.peerId.toString())?.length).toBeGreaterThan(0)
    expect(newcomer.capacities.get(hub.libp2p.peerId.toString())).toEqual({ free: 4096, held: 12 })
    // not a gossip message: the rest of the swarm is not woken for one newcomer
    expect(old.gossiped + newcomer.gossiped).toBe(0)
    expect(old.heard.size).toBe(0)
  })

  it('takes storage figures only from the sender\'s own record', async () => {
    const a = await vehicle()
    const b = await vehicle()
    const third = await vehicle()
    await meet(a, b)
    const bId = b.libp2p.peerId.toString()
    const thirdId = third.libp2p.peerId.toString()
    const addr = '/ip4/127.0.0.1/tcp/9'
    await sendRaw(b, a.libp2p.peerId, PeerAnnouncement.encode({
      peers: [{ peerId: bId, addrs: [addr], free: 77, held: 1 }, { peerId: thirdId, addrs: [addr], free: 1e12, held: 0 }]
    }))
    await waitFor(() => a.heard.has(thirdId))
    expect(a.capacities.get(bId)).toEqual({ free: 77, held: 1 })
    expect(a.capacities.has(thirdId)).toBe(false)
  })

  it('refuses a view from a vehicle of another network, and from a peer not (yet) a member', async () => {
    const a = await vehicle()
    const outsider = await vehicle(`other-${process.pid}`)
    const stranger = await vehicle()
    const listed = await vehicle()
    const view = PeerAnnouncement.encode({ peers: [{ peerId: listed.libp2p.peerId.toString(), addrs: ['/ip4/127.0.0.1/tcp/9'] }] })
    for (const sender of [outsider, stranger]) {
      await sender.libp2p.dial(a.libp2p.getMultiaddrs()[0])
      // identify must have run, or the outsider would only be "not yet known"
      await waitFor(async () => (await a.libp2p.peerStore.get(sender.libp2p.peerId).catch(() => undefined))?.metadata.has('AgentVersion') === true)
      await sendRaw(sender, a.libp2p.peerId, view)
    }
    await waitFor(() => a.px.refused === 2, { message: 'both views refused' })
    expect(a.heard.size).toBe(0)
    expect(a.px.dropped).toBe(0)
  })

  it('drops a malformed or oversized view whole and acts on none of it', async () => {
    const a = await vehicle()
    const b = await vehicle()
    await meet(a, b)
    const listed = (await vehicle()).libp2p.peerId.toString()
    // one good record, one bad address: nothing of it is taken
    await sendRaw(b, a.libp2p.peerId, PeerAnnouncement.encode({ peers: [{ peerId: listed, addrs: ['/ip4/127.0.0.1/tcp/9'] }, { peerId: listed, addrs: ['not/a/multiaddr'] }] }))
    await sendRaw(b, a.libp2p.peerId, Uint8Array.from([0xff, 0xff, 0xff]))
    await sendRaw(b, a.libp2p.peerId, new Uint8Array(MAX_ANNOUNCEMENT_BYTES + 1), MAX_ANNOUNCEMENT_BYTES + 1)
    await waitFor(() => a.px.dropped === 3, { message: 'three views dropped' })
    expect(a.heard.size).toBe(0)
    expect(a.capacities.size).toBe(0)

    // and the next good one is taken as usual
    await sendRaw(b, a.libp2p.peerId, PeerAnnouncement.encode({ peers: [{ peerId: listed, addrs: ['/ip4/127.0.0.1/tcp/9'] }] }))
    await waitFor(() => a.heard.has(listed))
  })

  it('a view of 127 members announcing 8 DNS names each still reaches the newcomer, every member in it, with our storage figures', async () => {
    const members = await Promise.all(Array.from({ length: MAX_PEERS_PER_ANNOUNCEMENT - 1 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const hub = await vehicle(NETWORK, { free: 2 ** 40, held: 2 ** 38 }, () => members)
    // what identify reports of vehicles started with --announce: a depot's DNS names (a 73 KB view, untrimmed)
    await Promise.all(members.map(async (id, m) => await hub.libp2p.peerStore.merge(id, {
      multiaddrs: Array.from({ length: MAX_ADDRS_PER_PEER }, (_, i) => multiaddr(`/dns4/vehicle-${String(m).padStart(4, '0')}-if${i}.depot-north.fleet.example.com/tcp/40001`))
    })))
    const newcomer = await vehicle()
    await meet(newcomer, hub)
    await hub.px.sendTo(newcomer.libp2p.peerId)
    await waitFor(() => newcomer.heard.size > 0 || newcomer.px.dropped > 0, { message: 'the newcomer took the view' })
    expect({ dropped: newcomer.px.dropped, heard: newcomer.heard.size }).toEqual({ dropped: 0, heard: MAX_PEERS_PER_ANNOUNCEMENT })
    expect(newcomer.capacities.get(hub.libp2p.peerId.toString())).toEqual({ free: 2 ** 40, held: 2 ** 38 })
  })
})
