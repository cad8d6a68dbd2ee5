/**
 * @packageDocumentation
 *
 * A V-Guard vehicle node: libp2p networking, a persistent identity, and the
 * LevelDB store, composed behind one object.
 *
 * @example
 *
 * ```ts
 * import { createVGuardNode } from 'vguard-node'
 *
 * const node = await createVGuardNode({ dataDir: './vehicle-1', network: 'fleet' })
 * node.addEventListener('peer:connected', (e) => { console.log('met', e.detail.peerId) })
 * await node.start()
 * // ...
 * await node.stop()
 * ```
 */
import { TypedEventEmitter } from 'main-event'
import { defaultLogger } from '@libp2p/logger'
import type { PeerId, ComponentLogger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { resolveConfig } from './config.ts'
import type { VGuardNodeOptions, VGuardNodeConfig } from './config.ts'
import { loadOrCreateKey } from './identity.ts'
import { buildLibp2p } from './libp2p.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import { Peering } from './peering.ts'
import { openDatabase } from '../storage/database.ts'
import type { NodeDatabase } from '../storage/database.ts'
import type { VGuardNodeEvents } from './events.ts'

export type { VGuardNodeOptions, VGuardNodeConfig } from './config.ts'
export type { VGuardNodeEvents, PeerDetail, PeerInfoDetail } from './events.ts'
export { ConfigError } from './config.ts'
export { DataDirInUseError } from '../storage/database.ts'

export interface ConnectedPeer {
  peerId: string
  addresses: string[]
}

export interface VGuardNode extends TypedEventEmitter<VGuardNodeEvents> {
  readonly peerId: PeerId
  readonly config: VGuardNodeConfig
  /** Listening addresses (with /p2p/<peer id>), available after start(). */
  readonly multiaddrs: Multiaddr[]
  /** The open LevelDB database of this node. */
  readonly store: NodeDatabase
  /** The libp2p node, for protocols and tests. */
  readonly libp2p: VGuardLibp2p
  readonly status: 'stopped' | 'started'
  /** Connected peers of our network. */
  peers: () => ConnectedPeer[]
  start: () => Promise<void>
  stop: () => Promise<void>
}

export interface CreateVGuardNodeExtras {
  logger?: ComponentLogger
}

class VGuardNodeImpl extends TypedEventEmitter<VGuardNodeEvents> implements VGuardNode {
  readonly peerId: PeerId
  readonly config: VGuardNodeConfig
  readonly store: NodeDatabase
  readonly libp2p: VGuardLibp2p
  status: 'stopped' | 'started' = 'stopped'
  private readonly peering: Peering

  constructor (config: VGuardNodeConfig, store: NodeDatabase, libp2p: VGuardLibp2p, peering: Peering) {
    super()
    this.config = config
    this.store = store
    this.libp2p = libp2p
    this.peerId = libp2p.peerId
    this.peering = peering
    peering.setEventTarget(this)
  }

  get multiaddrs (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  peers (): ConnectedPeer[] {
    return this.peering.connectedMembers().map(peerId => ({
      peerId: peerId.toString(),
      addresses: this.libp2p.getConnections(peerId).map(c => c.remoteAddr.toString())
    }))
  }

  async start (): Promise<void> {
    if (this.status === 'started') return
    await this.libp2p.start()
    this.peering.start()
    this.status = 'started'
  }

  async stop (): Promise<void> {
    if (this.status === 'stopped') {
      await this.store.close()
      return
    }
    this.status = 'stopped'
    this.peering.stop()
    try {
      await this.libp2p.stop()
    } finally {
      await this.store.close()
    }
  }
}

/**
 * Creates a node: loads (or creates) its key and opens its database, so that a
 * second process on the same data dir fails here with DataDirInUseError.
 * Networking begins with start(); stop() closes connections and the database.
 */
export async function createVGuardNode (options: VGuardNodeOptions, extras: CreateVGuardNodeExtras = {}): Promise<VGuardNode> {
  const config = resolveConfig(options)
  // open the database first: its lock is what tells us another node owns the dir
  const store = await openDatabase(config.dataDir)
  try {
    const privateKey = await loadOrCreateKey(config.dataDir)
    const logger = extras.logger ?? defaultLogger()
    // the gater needs the peering's deny list, and the peering needs libp2p
    const late: { peering?: Peering } = {}
    const libp2p = await buildLibp2p({
      config,
      privateKey,
      logger,
      isDenied: (peerId) => late.peering?.isDenied(peerId) ?? false
    })
    const peering = late.peering = new Peering({
      libp2p,
      network: config.network,
      bootstrap: config.bootstrap,
      allowedPeers: config.allowedPeers,
      reconnectInterval: config.reconnectInterval,
      logger
    })
    const node = new VGuardNodeImpl(config, store, libp2p, peering)
    return node
  } catch (err) {
    await store.close()
    throw err
  }
}
