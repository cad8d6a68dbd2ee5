/**
 * Assembles the libp2p node: TCP + Noise + Yamux, identify, ping, gossipsub,
 * mDNS (tag derived from the network name) and bootstrap.
 */
import { createHash } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { mdns } from '@libp2p/mdns'
import { bootstrap } from '@libp2p/bootstrap'
import type { Libp2p, PeerDiscovery, PeerId, PrivateKey, ComponentLogger } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { VGuardNodeConfig } from './config.ts'
import { VERSION } from './version.ts'
import { agentVersion } from '../protocols/agent.ts'
import { sha256, toHex } from '../chain/hash.ts'
import { gossipScoreParams } from './gossip-score.ts'
import { HandshakeRoom, MAX_HANDSHAKES } from './handshake-room.ts'

/**
 * The addresses the node's listeners are bound to (wildcards expanded to the
 * interfaces, no peer id). libp2p's getMultiaddrs() gives the announced ones
 * instead once there are any, and the bound ones are in no public API.
 */
export interface ListenAddrs {
  addrs: () => Multiaddr[]
}

function listenAddrs (components: { transportManager: { getAddrs: () => Multiaddr[] } }): ListenAddrs {
  return { addrs: () => components.transportManager.getAddrs() }
}

// a type alias, not an interface: libp2p's ServiceMap needs an index signature
export type VGuardServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  listenAddrs: ListenAddrs
}

export type VGuardLibp2p = Libp2p<VGuardServices>

/** Connections a peer may hold with us at once; more inbound ones are refused (see the connection gater). */
export const MAX_CONNECTIONS_PER_PEER = 3

/** Connections open at once (libp2p's default): past it libp2p refuses inbound ones, before any pruning. */
export const MAX_CONNECTIONS = 300

/**
 * gossipsub's ids of a message: a sha-256 over all the signature covers
 * (sender, sequence number, topic, data), each field with its length so none
 * runs into the next. gossipsub's default, the sender and sequence number
 * alone, let a member sign junk and a sound message under one number and
 * send each to different members: a member that had the junk first took an
 * honest member's relay of the sound one for a copy of the junk, and scored
 * the relay down as if it had relayed junk (a few such pairs graylisted it).
 * By content, the two are two messages, each judged on its own.
 */
function contentDigest (from: Uint8Array, seqno: Uint8Array, topic: string, data: Uint8Array): Buffer {
  const hash = createHash('sha256')
  const length = Buffer.alloc(4)
  for (const field of [from, seqno, Buffer.from(topic, 'utf8'), data]) {
    length.writeUInt32BE(field.byteLength)
    hash.update(length)
    hash.update(field)
  }
  return hash.digest()
}

/** Bytes of a sequence number: gossipsub refuses a signed message with any other before it takes its id. */
const SEQNO_BYTES = 8

/** gossipsub's `msgIdFn`: the id of a message that passed its signature check (see contentDigest). */
export function messageId (msg: Message): Uint8Array {
  if (msg.type !== 'signed') return contentDigest(new Uint8Array(0), new Uint8Array(0), msg.topic, msg.data)
  const seqno = new Uint8Array(SEQNO_BYTES)
  new DataView(seqno.buffer).setBigUint64(0, msg.sequenceNumber, false)
  return contentDigest(msg.from.toMultihash().bytes, seqno, msg.topic, msg.data)
}

/**
 * gossipsub's `fastMsgIdFn`, taken of each copy before its signature is
 * checked: a copy whose fast id is cached is a duplicate, dropped without an
 * Ed25519 check (flood publishing and mesh forwarding bring each vehicle
 * several copies of every announcement). It is contentDigest of the bytes
 * as they came, so a cached fast id stands for one content only: a copy
 * with other data, even under the same sender and number, is checked and
 * judged as a message of its own. gossipsub caches a fast id only once the
 * message's signature verified (before the topic's validator), so a forged
 * copy cannot shadow the real one; a copy with the same content and a bad
 * signature, after the real one, is the real one's duplicate and changes
 * nothing. A cryptographic hash and not a cheaper one: the sender chooses
 * its data, and two of its messages under one fast id would make the second
 * a duplicate of the first again. It costs a sha-256 of the data per copy,
 * a fraction of the signature check it saves (which hashes the data too).
 */
export function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array, topic: string, data?: Uint8Array }): string {
  if (msg.from == null || msg.seqno == null) return ''
  return contentDigest(msg.from, msg.seqno, msg.topic, msg.data ?? new Uint8Array(0)).toString('base64')
}

/** A DNS label's most bytes (RFC 1035): the service tag's first label must fit. */
const MAX_DNS_LABEL = 63

/** Hex digits of the network name's sha-256 a long name's tag ends with (64 bits: no two fleets share one by chance). */
const TAG_HASH_DIGITS = 16

/**
 * mDNS service tag per network so that two networks on one LAN do not mix.
 * A name too long for one DNS label with the `_vguard-` prefix (56–63
 * characters) is cut, and ends with a hash of the whole name: dns-packet
 * writes a longer label all the same, every receiver failed to decode the
 * packet, and mDNS found nobody, unsaid (a review). Shorter names keep their
 * tag, so vehicles of different versions still find each other.
 */
export function mdnsServiceTag (network: string): string {
  const label = `_vguard-${network.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`
  if (label.length <= MAX_DNS_LABEL) return `${label}._udp.local`
  const hash = toHex(sha256(new TextEncoder().encode(network))).slice(0, TAG_HASH_DIGITS)
  return `${label.slice(0, MAX_DNS_LABEL - TAG_HASH_DIGITS - 1)}-${hash}._udp.local`
}

export interface Libp2pInit {
  config: VGuardNodeConfig
  privateKey: PrivateKey
  /** Peers refused at dial and at connection time, both ways (off the allow list). */
  isDenied: (peerId: PeerId) => boolean
  /**
   * Peers not dialled either (identify refused them a little while ago: another
   * network). Their inbound connections are let in, to be identified anew.
   */
  dialDenied?: (peerId: PeerId) => boolean
  /** The inbound handshakes waiting (a fresh room if none: give one to read its counts). */
  handshakes?: HandshakeRoom
  logger?: ComponentLogger
}

export async function buildLibp2p ({ config, privateKey, isDenied, dialDenied = () => false, logger, handshakes = new HandshakeRoom({ logger }) }: Libp2pInit): Promise<VGuardLibp2p> {
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (config.mdns) {
    peerDiscovery.push(mdns({ serviceTag: mdnsServiceTag(config.network), interval: config.mdnsInterval }))
  }
  // @libp2p/bootstrap only takes addresses with a peer id; Peering dials the rest
  const withPeerId = config.bootstrap.filter(a => a.includes('/p2p/'))
  if (withPeerId.length > 0) {
    peerDiscovery.push(bootstrap({ list: withPeerId, timeout: 0 }))
  }
  // the gater asks the node it guards, which exists only once built (it starts later)
  const built: { node?: VGuardLibp2p } = {}
  const node = await createLibp2p({
    privateKey,
    start: false,
    logger,
    nodeInfo: { userAgent: agentVersion(VERSION, config.network) },
    addresses: {
      listen: config.listen,
      announce: config.announce.length > 0 ? config.announce : undefined
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionGater: {
      // loopback and private LAN addresses are exactly where vehicles are
      denyDialMultiaddr: () => false,
      denyDialPeer: (peerId) => isDenied(peerId) || dialDenied(peerId),
      // never refuses: makes way for the handshake by closing an older one (handshake-room.ts)
      denyInboundConnection: (maConn) => {
        handshakes.admit(maConn)
        return false
      },
      // a peer needs one connection (two while crossed dials settle, one more
      // while a dead one awaits its liveness check); a probe opened 40 from one
      // peer id, each with every protocol's inbound stream limit, and pushed a
      // node's memory past 1 GiB with partly sent frames
      denyInboundEncryptedConnection: (peerId) => isDenied(peerId) || (built.node?.getConnections(peerId).length ?? 0) >= MAX_CONNECTIONS_PER_PEER,
      denyOutboundEncryptedConnection: (peerId) => isDenied(peerId) || dialDenied(peerId)
    },
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      // dozens of vehicles on one host share 127.0.0.1: the default of 5 inbound
      // connections per second per IP resets dials when 10 nodes start together
      inboundConnectionThreshold: 1_000,
      // refuses every inbound connection while this many handshakes wait (each up to 10 s):
      // the handshake room closes the oldest long before, so this is only a backstop
      maxIncomingPendingConnections: 2 * MAX_HANDSHAKES,
      maxParallelDials: 100,
      dialTimeout: 5_000,
      // libp2p redials a member (KEEP_ALIVE) that disconnects, 5 at a time, in a queue with no
      // bound; with 10 retries (1 s doubling: ~17 min a member that left for good) a vehicle meeting
      // more than one leaver every ~3.4 min kept a growing queue (a memory probe). Two retries (~3 s
      // plus dial timeouts) keep the quick redial; the peering's own loop (every reconnectInterval,
      // until LOST_MEMBER_FORGET_AFTER) redials members that stay away longer
      reconnectRetries: 2
    },
    connectionMonitor: {
      // Liveness (src/node/liveness.ts) pings every member and closes its
      // connections only after 3 misses in a row (a loaded host misses one now
      // and then); the monitor's own pings would be a second stream per peer
      // every 10 s that nothing reads
      enabled: false
    },
    services: {
      identify: identify(),
      ping: ping(),
      listenAddrs,
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        floodPublish: true,
        emitSelf: false,
        msgIdFn: messageId,
        fastMsgIdFn: fastMessageId,
        // only what our topics' validators reject scores, down to the graylist (gossip-score.ts)
        scoreParams: gossipScoreParams(config.network)
      })
    }
  })
  built.node = node
  node.addEventListener('connection:open', (evt) => { handshakes.upgraded(evt.detail) })
  return node
}
