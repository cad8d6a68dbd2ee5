import type { TypedEventTarget } from 'main-event'

export interface PeerInfoDetail {
  peerId: string
  addresses: string[]
}

export interface PeerDetail {
  peerId: string
}

/** Events a VGuardNode emits. The dashboard and the demo only read these. */
export interface VGuardNodeEvents {
  /** A peer of any network was found by mDNS or bootstrap (before we know its network). */
  'peer:discovered': CustomEvent<PeerInfoDetail>
  /** A connection to a peer of our network is open (first connection only). */
  'peer:connected': CustomEvent<PeerDetail>
  /** The last connection to a peer is gone. */
  'peer:disconnected': CustomEvent<PeerDetail>
  /** A peer was refused: another network or not on the allow list. */
  'peer:rejected': CustomEvent<PeerDetail & { reason: string }>
  /** A newer backup table was made (by us) or adopted (gossip, redirect, release). */
  'backup:table': CustomEvent<BackupTableDetail>
  /** This node deleted its copy of another vehicle's chain on a verified release. */
  'backup:released': CustomEvent<{ chainId: string, epoch: number }>
  /** A replication transfer to a backup advanced. */
  'replicate:progress': CustomEvent<ReplicateProgressDetail>
}

export interface BackupTableDetail {
  chainId: string
  epoch: number
  active: string[]
  obsolete: string[]
  height: number
}

export interface ReplicateProgressDetail {
  chainId: string
  peer: string
  height: number
  target: number
  sentBytes: number
}

export type VGuardNodeEventTarget = TypedEventTarget<VGuardNodeEvents>
