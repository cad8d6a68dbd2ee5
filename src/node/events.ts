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
  /**
   * A peer of any network was found (mDNS, bootstrap, a member's peer list) or dialled us,
   * before we know its network. `addresses` is empty for one that dialled in and told none yet.
   */
  'peer:discovered': CustomEvent<PeerInfoDetail>
  /** A connection to a peer of our network is open (first connection only). */
  'peer:connected': CustomEvent<PeerDetail>
  /** The last connection to a peer is gone. */
  'peer:disconnected': CustomEvent<PeerDetail>
  /** A peer was refused: another network or not on the allow list. */
  'peer:rejected': CustomEvent<PeerRejectedDetail>
  /** A bootstrap address could not be dialled (told once; again only after a dial of it worked). It is retried. */
  'peer:bootstrap-failed': CustomEvent<BootstrapFailedDetail>
  /**
   * Two processes run a member's identity (a data dir copied with its peer.key): it counts as no
   * member here (`cloned: true`), or it is heard as one process again (`cloned: false`).
   */
  'peer:cloned': CustomEvent<{ peerId: string, cloned: boolean }>
  /** A member says two processes run this node's own identity: this one or the copy is to be stopped. */
  'identity:cloned': CustomEvent<{ seenBy: string }>
  /** A newer backup table was made (by us) or adopted (gossip, redirect, release). */
  'backup:table': CustomEvent<BackupTableDetail>
  /** This node deleted its copy of another vehicle's chain on a verified release. */
  'backup:released': CustomEvent<{ chainId: string, epoch: number }>
  /** A replication transfer to a backup advanced. */
  'replicate:progress': CustomEvent<ReplicateProgressDetail>
  /** A replication transfer to a backup ended: done, or failed with `error`. */
  'replicate:finished': CustomEvent<ReplicateFinishedDetail>
  /** Consensus decided blocks of a chain this node keeps (its own, the shared one) and they are applied. */
  'chain:committed': CustomEvent<ChainCommittedDetail>
  /** A write through `append`, `put` or `delete` on this node ended: committed or failed. */
  'write:settled': CustomEvent<WriteSettledDetail>
  /** Retention pruned payloads of temporary chains, or found what it may not prune above a bound, newly (see StoragePrunedDetail). */
  'storage:pruned': CustomEvent<StoragePrunedDetail>
  /**
   * stop() ended this node's services (its storage closes next): nothing more is emitted, and
   * the HTTP API's event streams end with it, whether or not its server is closed too.
   */
  'node:stopped': CustomEvent<{ peerId: string }>
}

export interface StoragePrunedDetail {
  /** Payload bytes this run freed. */
  freedBytes: number
  /** Chains it pruned blocks of, and how many of each. */
  chains: Array<{ chainId: string, blocks: number }>
  /** Pins (or the chains never pruned) keep the bytes above a bound: the capacity or the retention bound, as the last periodic run found (also in a `room` event). */
  overBound: boolean
  /** `policy`: the periodic run (τ, the size bound, the capacity); `room`: room made for an incoming backup copy. */
  reason: 'policy' | 'room'
  /** Chains the run could not prune (a block record it could not read, say) and left as they were, and why. */
  failed: Array<{ chainId: string, error: string }>
}

export interface BootstrapFailedDetail {
  /** The address as configured (--bootstrap). */
  address: string
  /** Why the dial failed, in the words of the transport. */
  error: string
  /** The peer was reached and refused: it is of another network, or not on the allow list. */
  refused?: boolean
}

/** Why a peer was refused; `reason` says it in words, `code` is fixed (for metrics and programs). */
export type PeerRejectedCode = 'not-vguard-node' | 'other-network' | 'not-allowed'

export interface PeerRejectedDetail extends PeerDetail {
  reason: string
  code: PeerRejectedCode
}

/** One run of decided blocks applied to the chain store, up to `height`. */
export interface ChainCommittedDetail {
  chainId: string
  role: 'own' | 'shared'
  /** The new tip: its height and hash (hex). */
  height: number
  hash: string
  /** Blocks and transactions in this run. */
  blocks: number
  transactions: number
  /** The booth that decided the last block of the run. */
  booth: string[]
}

export interface ReplicateFinishedDetail {
  chainId: string
  peer: string
  /** Bytes of blocks sent in this transfer (so far, when it failed). */
  sentBytes: number
  /** The height this transfer brought the backup to: the chain's, or as far as it got (0 when it sent nothing: the backup may hold an older copy). */
  height: number
  /** The error's name when the transfer failed. */
  error?: string
}

export interface WriteSettledDetail {
  /** The chain written to (this vehicle's id, `shared`, or another vehicle's when forwarded). */
  chainId: string
  transactions: number
  /** From the call to its outcome, in milliseconds. */
  durationMs: number
  /** The error's name when the write failed (e.g. NoQuorumError); absent when it committed. */
  error?: string
  /** The committed block's height (absent on failure). */
  height?: number
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
  /** The height the backup acknowledged. */
  height: number
  target: number
  /** Bytes of blocks sent by the time of that acknowledgement, frames not yet acknowledged included (ReplicateProgress). */
  sentBytes: number
}

export type VGuardNodeEventTarget = TypedEventTarget<VGuardNodeEvents>

/**
 * A deep copy of an event's detail, made once per dispatch: the node's own
 * state (a booth, a table's backups) must not be what a listener edits (a
 * probe's listener that emptied `detail.booth` emptied the chain's booth: no
 * write committed again). Not frozen: a listener that sorts what it got in
 * place would throw, and an exception from a listener ends the process.
 */
export function detailCopy<T> (detail: T): T {
  return structuredClone(detail)
}
