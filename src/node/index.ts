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
import type { PeerId, ComponentLogger, PrivateKey } from '@libp2p/interface'
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
import { LevelChainStore } from '../storage/level.ts'
import type { ChainStore } from '../storage/index.ts'
import { VGuardDB } from './vguarddb.ts'
import type { EndOfBoothInput, ReplicationOutcome } from './vguarddb.ts'
import { NotStartedError } from '../protocols/errors.ts'

export type { VGuardNodeOptions, VGuardNodeConfig } from './config.ts'
export type { VGuardNodeEvents, PeerDetail, PeerInfoDetail } from './events.ts'
export { ConfigError } from './config.ts'
export { DataDirInUseError } from '../storage/database.ts'
export type { EndOfBoothInput, ReplicationOutcome } from './vguarddb.ts'
export { InvalidBoothError } from './vguarddb.ts'

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
  /** Every chain this node holds: its own, the shared one, and backup copies. */
  readonly chains: ChainStore
  /** The storage layer: replicate, backup tables, release, read with redirect. */
  readonly vguarddb: VGuardDB
  /**
   * VGuard's hook: append the block its consensus agreed on to this vehicle's
   * chain, bound to the participants, then replicate → table → release.
   */
  endOfBooth: (input: EndOfBoothInput) => Promise<ReplicationOutcome>
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

interface NodeParts {
  config: VGuardNodeConfig
  store: NodeDatabase
  chains: ChainStore
  libp2p: VGuardLibp2p
  peering: Peering
  privateKey: PrivateKey
  logger: ComponentLogger
}

class VGuardNodeImpl extends TypedEventEmitter<VGuardNodeEvents> implements VGuardNode {
  readonly peerId: PeerId
  readonly config: VGuardNodeConfig
  readonly store: NodeDatabase
  readonly chains: ChainStore
  readonly libp2p: VGuardLibp2p
  readonly vguarddb: VGuardDB
  status: 'stopped' | 'started' = 'stopped'
  private readonly peering: Peering

  constructor (parts: NodeParts) {
    super()
    this.config = parts.config
    this.store = parts.store
    this.chains = parts.chains
    this.libp2p = parts.libp2p
    this.peerId = parts.libp2p.peerId
    this.peering = parts.peering
    this.peering.setEventTarget(this)
    this.vguarddb = new VGuardDB({
      libp2p: parts.libp2p,
      store: parts.chains,
      database: parts.store,
      privateKey: parts.privateKey,
      logger: parts.logger,
      events: this,
      network: parts.config.network,
      kBackups: parts.config.kBackups,
      capacity: parts.config.capacity
    })
  }

  async endOfBooth (input: EndOfBoothInput): Promise<ReplicationOutcome> {
    if (this.status !== 'started') throw new NotStartedError('node is not started')
    return await this.vguarddb.endOfBooth(input)
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
    await this.vguarddb.start()
    this.peering.start()
    this.status = 'started'
  }

  async stop (): Promise<void> {
    if (this.status === 'started') {
      this.status = 'stopped'
      this.peering.stop()
      try {
        await this.vguarddb.stop()
        await this.libp2p.stop()
      } finally {
        await this.closeStorage()
      }
      return
    }
    await this.closeStorage()
  }

  /** The chain store first (it waits for queued writes), then the database under it. */
  private async closeStorage (): Promise<void> {
    try {
      await this.chains.close()
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
    const chains = await LevelChainStore.open(store)
    return new VGuardNodeImpl({ config, store, chains, libp2p, peering, privateKey, logger })
  } catch (err) {
    await store.close()
    throw err
  }
}
