import type { VGuardNode, ReplicaStatus, OwnReplicationStatus, ConnectedPeer } from '../node/index.ts'
import { toHex } from '../chain/index.ts'
import { heldPoint } from '../backup/index.ts'
import { checkHttpNode } from './init-check.ts'

export interface ChainStatus {
  id: string
  /** own: this vehicle's chain; backup: a copy held for another vehicle; shared: the network's chain. */
  role: 'own' | 'backup' | 'shared'
  height: number
  tipHash: string
  bytes: number
  /** The newest backup table this node knows for the chain. */
  backupTable: { epoch: number, active: string[], obsolete: string[], height: number, heldHeight: number } | null
  /** This node holds a copy as a backup of another vehicle, and at what height. */
  heldAsBackup: boolean
  heldHeight: number
  /** How such a copy is kept: active (whole), temporary (retention prunes it), unclaimed (whole for the unclaimed grace); null for a chain not held for another. */
  heldAs: 'active' | 'temporary' | 'unclaimed' | null
  /** Consensus on this chain, when this node takes part (null otherwise). */
  booth: string[] | null
  ballot: { round: number, proposer: string } | null
  leader: string | null
  /** Last decided slot (slots count booth changes and gaps too; heights count blocks). */
  decided: number | null
  /**
   * This vehicle's own chain only (null on the others): its fresh backups as this run knows them,
   * whether that is short of k (a round without a write makes it up once a member could do better),
   * its backups away now and when each is taken for gone, members whose transfer failed lately.
   */
  replication: OwnReplicationStatus | null
}

/**
 * One chain this node runs consensus for (also chains it holds no copy of:
 * another vehicle's, as a booth member). kind — own: our chain (we propose);
 * member: another vehicle's chain (we accept); shared: the network's chain.
 */
export type ConsensusStatus = ReplicaStatus

export interface StatusBody {
  peerId: string
  /** What peers are given: the announced addresses (--announce), else the listening ones. */
  addresses: string[]
  /** Where the node listens, as bound (wildcards expanded), announced or not. */
  listening: string[]
  network: string
  /** Connected members, with the storage each advertised once it has (the type left it out: a review, 2026-12-03). */
  peers: ConnectedPeer[]
  chains: ChainStatus[]
  /**
   * Tables of chains this node does not hold. kind: `pointer`, a table kept to redirect readers (its
   * owner released us, or it named us while we held a copy; capped at maxForwardPointers), or `hint`, one heard
   * by gossip or seen on a read (capped at maxTableHints); the oldest used goes first past a cap.
   */
  backupTables: Array<{ chainId: string, kind: 'pointer' | 'hint', epoch: number, active: string[], obsolete: string[], height: number, heldHeight: number }>
  /** The caps on `backupTables` in force (--max-forward-pointers, --max-table-hints): a full list is no mystery. */
  backupTableCaps: { pointers: number, hints: number }
  /**
   * free: what this node can still take, the capacity less what it holds and what transfers in
   * flight reserved, plus the temporary payloads an offer would prune for room, and never more
   * than its disk has room for beyond the reserve (the figure its peers are told); overBound: the
   * last retention run found pins keeping the bytes above a bound; diskFree: bytes free on the data dir's disk (null if the
   * file system cannot tell), diskReserve: what backup duty leaves of it for this vehicle's own chain;
   * retention, retentionBytes and unclaimedGrace: the temporary storage policy in force (τ in ms, the size bound,
   * how long an unclaimed copy is kept whole); consensusLog: bytes the consensus value logs take on disk
   * (large values this node voted on as a booth member), beside `used`, which counts chains only.
   */
  storage: { capacity: number, used: number, free: number, heldForOthers: number, diskFree: number | null, diskReserve: number, retention: number, retentionBytes: number, unclaimedGrace: number, overBound: boolean, consensusLog: number }
  transfers: Array<{ chainId: string, peer: string, height: number, target: number, sentBytes: number }>
  pendingReleases: Array<{ chainId: string, peerId: string, attempts: number, offline: boolean }>
  consensus: ConsensusStatus[]
  /**
   * The network's shared chain: who founded it (a permissioned network's: `members:` and a digest
   * of its allow list), the members its genesis booth holds (permissioned only: a majority of them
   * must be connected before it has a leader), who leads it now, who this node accepts as its
   * leader (itself and the members whose hello named the same chain), members of another shared chain seen,
   * members whose votes this node holds back because they lost their database (`heldBack`).
   */
  shared: { founder: string | null, members: string[] | null, leader: string | null, candidates: string[] | null, conflicts: string[], heldBack: string[] }
  /**
   * Why this vehicle takes its own chain as lost (its database lost, the chain not back from its
   * holders yet: its own writes fail until it is), else null. See docs/consensus.md, own-chain.json.
   */
  ownChainLost: string | null
  /**
   * Peers two processes run the identity of (a data dir copied with its peer.key): this node drops
   * what they say in consensus and counts them as no member until one of them stops.
   */
  clonedPeers: string[]
  /** Members that say two processes run this node's own identity: this one, or a copy of its data dir, is to be stopped. */
  identityClonedSeenBy: string[]
}

/** @throws ConfigError for what is not a node made by createVGuardNode */
export async function statusOf (node: VGuardNode): Promise<StatusBody> {
  checkHttpNode(node, 'statusOf(node)')
  const self = node.peerId.toString()
  const held = await node.chains.chains()
  const backups = await Promise.all(held.map(async (info) => await node.vguarddb.status(info.chainId)))
  const chains: ChainStatus[] = held.map((info, i) => {
    const backup = backups[i]
    const role = info.chainId === self ? 'own' : info.chainId === 'shared' ? 'shared' : 'backup'
    return {
      id: info.chainId,
      role,
      height: info.height,
      tipHash: toHex(info.tipHash),
      bytes: info.bytes,
      backupTable: backup.backupTable ?? null,
      heldAsBackup: backup.heldAsBackup,
      heldHeight: backup.heldHeight,
      heldAs: backup.heldAs ?? null,
      booth: null,
      ballot: null,
      leader: null,
      decided: null,
      replication: role === 'own' ? node.vguarddb.ownReplication() : null
    }
  })
  const consensus = node.consensus.status()
  for (const chain of chains) {
    const c = consensus.find(r => r.chainId === chain.id)
    chain.booth = c?.booth ?? null
    chain.ballot = c?.ballot ?? null
    chain.leader = c?.leader ?? null
    chain.decided = c?.decided ?? null
  }
  const heldIds = new Set(held.map(c => c.chainId))
  const used = held.reduce((n, c) => n + c.bytes, 0)
  const [free, diskFree, consensusLog] = await Promise.all([node.vguarddb.offerableCapacity(), node.diskFree(), node.consensusLogBytes()])
  return {
    peerId: self,
    addresses: node.multiaddrs.map(m => m.toString()),
    listening: node.listenAddrs.map(m => m.toString()),
    network: node.config.network,
    peers: node.peers(),
    chains,
    backupTables: node.vguarddb.knownTables()
      .filter(t => !heldIds.has(t.table.chainId))
      .map(({ table }) => ({ chainId: table.chainId, kind: node.vguarddb.tables.isKept(table.chainId) ? 'pointer' as const : 'hint' as const, epoch: table.epoch, active: table.active, obsolete: table.obsolete, height: table.height, heldHeight: heldPoint(table).height })),
    backupTableCaps: { pointers: node.config.maxForwardPointers, hints: node.config.maxTableHints },
    storage: {
      capacity: node.config.capacity,
      used,
      free,
      heldForOthers: chains.filter(c => c.role === 'backup').reduce((n, c) => n + c.bytes, 0),
      diskFree: Number.isFinite(diskFree) ? diskFree : null,
      diskReserve: node.config.diskReserve,
      retention: node.config.retention,
      retentionBytes: node.config.retentionBytes,
      unclaimedGrace: node.config.unclaimedGrace,
      overBound: node.storageMaster.overBound,
      consensusLog
    },
    transfers: backups.flatMap(b => b.transfers),
    pendingReleases: node.vguarddb.pendingReleases(),
    consensus,
    shared: {
      founder: node.consensus.driver.sharedFounder ?? null,
      members: node.consensus.driver.sharedMembers ?? null,
      leader: node.consensus.driver.shared()?.leader() ?? null,
      candidates: node.consensus.driver.sharedCandidates ?? null,
      conflicts: node.consensus.driver.sharedConflicts(),
      heldBack: node.consensus.driver.forgetfulPeers()
    },
    ownChainLost: (await node.consensus.ownChainLost()) ?? null,
    clonedPeers: node.consensus.driver.clonedPeers(),
    identityClonedSeenBy: node.consensus.driver.clonedSelfSeenBy()
  }
}
