/**
 * The parts a node is composed of, each wired to the others. A part reaches
 * the others through the node, read when it is called: some are built after
 * the ones that need them (consensus drives the storage layer, built first),
 * so nothing here is asked for while the node is being built.
 */
import type { TypedEventEmitter } from 'main-event'
import type { ComponentLogger, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { VGuardNodeConfig } from './config.ts'
import type { VGuardNodeEvents } from './events.ts'
import type { HandshakeRoom } from './handshake-room.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import type { Peering } from './peering.ts'
import type { MemoryClock } from './memory-clock.ts'
import type { NodeDatabase } from '../storage/database.ts'
import type { ChainStore } from '../storage/index.ts'
import { VGuardDB } from './vguarddb.ts'
import { CapacityNews } from './capacity-news.ts'
import { sync } from '../protocols/sync/index.ts'
import type { Sync } from '../protocols/sync/index.ts'
import { ReconcileOnConnect } from './reconcile-on-connect.ts'
import { syncAuthority } from './sync-authority.ts'
import { StorageMaster } from '../storage/retention.ts'
import { Consensus } from './consensus.ts'
import { createNodeMetrics } from './metrics.ts'
import { QUORUM_HOLDER_WAIT, SHARED_CHAIN } from './paxos-constants.ts'
import { isCopy, temporaryStanding } from './chain-standing.ts'
import { prunedNews } from './pruned-news.ts'

/** What createVGuardNode made before the node: the parts that open or bind something. */
export interface NodeParts {
  config: VGuardNodeConfig
  store: NodeDatabase
  chains: ChainStore
  libp2p: VGuardLibp2p
  peering: Peering
  privateKey: PrivateKey
  logger: ComponentLogger
  memoryClock: MemoryClock
  handshakes: HandshakeRoom
}

/** The node as its parts see it: where they send events, and the other parts (fields of the node, set as each is built). */
export interface PartsHost extends TypedEventEmitter<VGuardNodeEvents> {
  readonly peerId: PeerId
  readonly config: VGuardNodeConfig
  readonly status: 'stopped' | 'started'
  readonly vguarddb: VGuardDB
  readonly sync: Sync
  readonly storageMaster: StorageMaster
  readonly consensus: Consensus
  diskFree: () => Promise<number>
}

/** What the disk can take for other vehicles: its free space less the reserve for our own chain. */
async function diskRoom (node: PartsHost): Promise<number> {
  return Math.max(0, await node.diskFree() - node.config.diskReserve)
}

/** The storage layer: replicate → table → release, and reads with redirect. */
export function buildVGuardDB (node: PartsHost, parts: NodeParts): VGuardDB {
  const { peering } = parts
  return new VGuardDB({
    libp2p: parts.libp2p,
    store: parts.chains,
    database: parts.store,
    privateKey: parts.privateKey,
    logger: parts.logger,
    events: node,
    network: parts.config.network,
    kBackups: parts.config.kBackups,
    capacity: parts.config.capacity,
    // a backup away as long as a vehicle that left is remembered is replaced
    backupAwayMs: parts.config.backupAway,
    maxForwardPointers: parts.config.maxForwardPointers,
    maxTableHints: parts.config.maxTableHints,
    // bound late: consensus is built after
    ownBooth: () => node.consensus?.driver.ownNextBooth(),
    diskRoom: async () => await diskRoom(node),
    // bound late: the storage master is built after
    reclaimable: async () => await node.storageMaster.reclaimable(),
    makeRoom: async (bytes, except) => {
      // the disk, not the capacity, refused it: pruning would not give LevelDB's space back in time
      if (await diskRoom(node) < bytes) return
      await node.storageMaster.makeRoom(bytes, except)
    },
    onOffered: async (chainId) => { await node.storageMaster.restartGrace(chainId) },
    capacityHint: (peerId) => peering.capacityOf(peerId),
    // two processes that run one identity take no copy from us nor give us theirs (bound late: consensus watches for them)
    isMember: (peer) => peering.isMember(peer) && node.consensus?.driver.isClone(peer.toString()) !== true,
    // ...and are told so at once: waiting would not change it (a clone's round waited ~9 s per backup for nothing)
    refusal: (peer) => node.consensus?.driver.cloneRefusal(peer.toString()),
    isAllowed: (peerId) => peering.isAllowed(peerId),
    members: () => peering.connectedMembers(),
    // bound late: consensus is built after (it drives this orchestrator)
    confirmLeader: async (chainId) => await node.consensus.confirmLeader(chainId),
    runs: (chainId) => chainId === SHARED_CHAIN && node.consensus.driver.shared() != null,
    settle: async (chainId, { ownCopy }) => {
      // a store that still lacks a slot this node accepted may lack an acknowledged write: Nr such answers
      // agreed on the value it replaced while a dead leader's slot waited for an election (a probe, 2026-12-03)
      if (chainId === SHARED_CHAIN && await node.consensus.driver.shared()?.heldAccepted(QUORUM_HOLDER_WAIT) === false && !ownCopy) {
        return 'this holder accepted shared-chain slots it has not seen decided yet (its leader may have just left): ' +
          'its copy may lack a write they acknowledged, so it does not answer for it until they are decided again'
      }
      return chainId === node.peerId.toString() ? await node.consensus.ownChainBehind() : undefined
    },
    onCapacityChange: () => { peering.announceSoon() },
    memoryNow: parts.memoryClock.now
  })
}

/** The room this node advertises to its peers (peer exchange), and news of it when it grew. */
export function buildCapacityNews (node: PartsHost, parts: NodeParts): CapacityNews {
  const { peering } = parts
  // what transfers in flight reserved is not free to advertise either
  const offerable = async (): Promise<number> => await node.vguarddb.offerableCapacity()
  const capacityNews = new CapacityNews({ free: offerable, capacity: parts.config.capacity, announce: () => { peering.announceSoon() } })
  peering.setCapacitySource(async () => {
    const free = await offerable()
    capacityNews.advertise(free)
    return { free, held: await node.vguarddb.heldForOthers() }
  })
  return capacityNews
}

/** /vguard/sync/1.0.0: tips, block ranges, and reconcile after a restart. */
export function buildSync (node: PartsHost, parts: NodeParts): Sync {
  const { peering } = parts
  return sync()({
    libp2p: parts.libp2p,
    store: parts.chains,
    logger: parts.logger,
    peers: () => peering.connectedMembers(),
    allowPeer: (peer) => peering.isMember(peer) && node.consensus?.driver.isClone(peer.toString()) !== true,
    refusal: (peer) => node.consensus?.driver.cloneRefusal(peer.toString()),
    authority: syncAuthority({
      newestTable: (chainId) => node.vguarddb.tables.get(chainId),
      sharedTip: () => node.consensus.driver.shared()?.appliedTip()
    }),
    // a copy held for another vehicle grows within capacity and the disk's
    // reserve, as a transfer does; our own and the shared chain must not stop
    room: (chainId) => isCopy(node.peerId.toString(), chainId) ? node.vguarddb.replicate.openRoom() : undefined,
    // the shared chain's write ids, for a member that caught up from our snapshot (blocks carry none)
    writes: (chainId, from, to) => chainId === SHARED_CHAIN ? node.consensus.driver.shared()?.writeIdsBetween(from, to) : undefined
  })
}

/** Catch-up with each member as it connects: the chains held here, temporary copies left to retention. */
export function buildReconciler (node: PartsHost, parts: NodeParts, log: Logger): ReconcileOnConnect {
  const { peering } = parts
  return new ReconcileOnConnect({
    sync: node.sync,
    isConnected: (peer) => peering.isMember(peer),
    // temporary copies keep what they hold until retention prunes it; active and unclaimed
    // ones (a fresh backup whose table is on its way) catch up like our own chains
    include: (chainId) => temporaryStanding(node.peerId.toString(), node.vguarddb, chainId) !== true,
    log
  })
}

/** Temporary storage: retention τ and size bound for copies this node neither owns nor backs up. */
export function buildStorageMaster (node: PartsHost, parts: NodeParts): StorageMaster {
  const { peering } = parts
  return new StorageMaster({
    store: parts.chains,
    capacity: parts.config.capacity,
    interval: parts.config.pruneInterval,
    log: parts.logger.forComponent('vguard:retention'),
    onReport: prunedNews(node, () => { peering.announceSoon() }),
    policy: {
      retention: parts.config.retention,
      maxBytes: parts.config.retentionBytes,
      capacity: parts.config.capacity,
      unclaimedGrace: parts.config.unclaimedGrace,
      isTemporary: async (chainId) => temporaryStanding(node.peerId.toString(), node.vguarddb, chainId)
    }
  })
}

/** Booth consensus: /vguard/paxos/1.0.0, one replica per chain, the shared chain, forwarded writes. */
export function buildConsensus (node: PartsHost, parts: NodeParts): Consensus {
  const { peering } = parts
  return new Consensus({
    libp2p: parts.libp2p,
    privateKey: parts.privateKey,
    chains: parts.chains,
    database: parts.store,
    logger: parts.logger,
    events: node,
    connectedMembers: () => peering.connectedMembers(),
    // the plain view: the driver's transport watches for clones itself; consensus leaves them out of its
    // write service (src/node/consensus.ts)
    isMember: (peer) => peering.isMember(peer),
    vguarddb: node.vguarddb,
    sync: node.sync,
    config: parts.config,
    memoryNow: parts.memoryClock.now
  })
}

/** The node's Prometheus registry: counters follow its events, gauges are read from its parts at each scrape. */
export function buildMetrics (node: PartsHost, parts: NodeParts): Registry {
  const { peering, handshakes } = parts
  return createNodeMetrics({
    events: node,
    pubsub: parts.libp2p.services.pubsub,
    self: node.peerId.toString(),
    capacity: parts.config.capacity,
    diskFree: async () => await node.diskFree(),
    chains: parts.chains,
    isStarted: () => node.status === 'started',
    connectedPeers: () => peering.connectedMembers().length,
    pendingReleases: () => node.vguarddb.pendingReleases().length,
    transfersInFlight: () => node.vguarddb.transfersInFlight,
    consensus: () => node.consensus.status(),
    sharedLeader: () => node.consensus.driver.shared()?.leader() ?? null,
    retentionOverBound: () => node.storageMaster.overBound,
    retentionFailedChains: () => node.storageMaster.failedChains.length,
    ownReplication: () => {
      const r = node.vguarddb.ownReplication()
      return { fresh: r.fresh.length, shortOfK: r.shortOfK }
    },
    gossipDropped: () => ({ ...peering.gossipDropped(), 'invalid-table': node.vguarddb.gossipInvalid }),
    peersRejected: () => peering.peersRejected(),
    handshakesWaiting: () => handshakes.size,
    handshakesClosed: () => handshakes.closed(),
    handshakesForgotten: () => handshakes.forgotten(),
    tablesKept: () => ({ pointer: node.vguarddb.tables.pointerCount, hint: node.vguarddb.tables.hintCount })
  })
}
