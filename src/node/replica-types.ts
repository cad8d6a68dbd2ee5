/**
 * The shapes of a chain's replica (paxos-replica.ts): what it depends on
 * (ReplicaDeps, ReplicaSetup), what a write asks and gets (SubmitOptions,
 * CommitResult), and what it reports (ReplicaStatus).
 */
import type { Logger } from '@libp2p/interface'
import type { ElectionConfig, PaxosStatus, ProposerProofs } from '../consensus/index.ts'
import type { ChainTip } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import type { LevelPaxosStorage } from '../storage/paxos-store.ts'
import type { ChainMessage } from '../protocols/paxos/index.ts'
import type { AppliedWriteId } from '../protocols/sync/index.ts'
import type { ReplicationReport } from '../protocols/write/index.ts'
import type { ConsensusRecord } from './own-chain-marker.ts'
import type { UndecidedBudget } from './undecided-budget.ts'

export type ReplicaKind = 'own' | 'member' | 'shared'

/**
 * Where an earlier attempt of a write stands (ChainReplica.landed): out of
 * flight (decided, or never to be chosen), still queued or in flight at the deadline,
 * or in flight when the replica stopped (it may still commit), or unknown
 * here for good (its slot was learned through a snapshot).
 */
export type Landing = 'landed' | 'in flight' | 'stopped' | 'unknown'

export interface Cursor {
  slot: number
  height: number
  hash: Uint8Array
}

export interface CommitResult {
  chainId: string
  height: number
  hash: Uint8Array
  /**
   * A write to a vehicle's own chain that waited for replication: what the
   * round after its commit reached. Absent when the write did not wait (the
   * shared chain, `waitForReplication: false`, k = 0) or repeated an earlier
   * write (idempotency).
   */
  replication?: ReplicationSummary
}

/** What a write learns of the replication round after its commit (the shape /vguard/write carries). */
export type ReplicationSummary = ReplicationReport

export interface SubmitOptions {
  /** ms from now. */
  timeout: number
  /** Resolve once applied, without waiting for replication to the backups. @default true (wait) */
  waitForReplication?: boolean
  /**
   * Own chain: false when the caller runs the replication round after the
   * commit itself (VGuard's endOfBooth: its participants choose the
   * backups). The commit then runs none of its own, unless another write of
   * its batch needs one. @default true
   */
  replicate?: boolean
}

export interface ReplicaStatus {
  chainId: string
  kind: ReplicaKind
  role: PaxosStatus['role']
  booth: string[]
  ballot: { round: number, proposer: string }
  leader: string | null
  /** Last decided slot (every slot up to it is decided). */
  decided: number
  /** Last slot applied to the chain store (own and shared chains). */
  applied: number
  /** Slots up to it left the log, applied (or brought by a snapshot): a peer asking for them gets a snapshot. */
  compacted: number
  /** Chain height the applied slots reached. */
  height: number
  /** Bytes of the decided values its log holds in memory until they are compacted. */
  valueBytes: number
  /** Bytes of the values accepted and not decided (a member: bounded per chain and node-wide, UndecidedBudget). */
  undecidedBytes: number
  /** Accepts that got no vote for want of room for another undecided value, since the replica opened. */
  votesWithheld: number
  /** Writes waiting for a batch, and batches proposed but not decided. */
  pending: number
  outstanding: number
  /**
   * Set once a save of its consensus state failed (a full disk, say): the
   * replica takes nothing more until the node restarts; why, in words.
   */
  failed?: string
}

export interface ReplicaDeps {
  chainId: string
  self: string
  kind: ReplicaKind
  storage: LevelPaxosStorage
  store: ChainStore
  send: (messages: ChainMessage[]) => void
  /** Connected, allowed members of the network, without self. */
  connected: () => string[]
  /** Shared chain: members that refuse it (they left it, Hello.sharedRefused): no booth seat, one they hold goes. */
  refused?: () => string[]
  boothSize: number
  log: Logger
  random: () => number
  /** Wall-clock ms: block timestamps (and, without memoryNow, the ages of remembered writes). */
  now: () => number
  /**
   * The clock remembered writes are stamped and aged by, on disk too
   * (MemoryClock): a step of the wall clock must not forget them. @default now
   */
  memoryNow?: () => number
  /** Monotonic ms for deadlines and intervals, which a step of the wall clock must not move. @default performance.now */
  clock?: () => number
  /**
   * own: replicate → table → release after a commit (VGuardDB.afterCommit);
   * `height`: the highest block committed, which the answer's round covers.
   */
  afterCommit?: (participants: string[], height: number) => Promise<ReplicationSummary>
  /**
   * Fetch the chain up to `height`, whose block has `hash` (a snapshot that
   * `peer` answered). shared: from `peer`; own: from the chain's holders
   * (its backups), `peer` among them if it holds it. `proof` (own: a point
   * a member named, PointProof): from the holders our own tables name only,
   * never from `peer` — the member chose the hash, and a chain it made up
   * that ends on it would be stored (a review).
   */
  fetchTo?: (peer: string, height: number, hash: Uint8Array, options?: { proof?: boolean }) => Promise<void>
  /**
   * own: whether our own backup tables (signed with our key) prove that our
   * chain went another way than its backups' (see PointProof, chain-points.ts): the
   * OwnChainConflictError to stop with, or undefined.
   */
  tableConflict?: () => Promise<Error | undefined>
  /**
   * shared: the write ids `peer` applied in blocks `from`..`to` (what a
   * snapshot covers: blocks carry no write ids), within WRITE_IDS_WAIT.
   */
  fetchWriteIds?: (peer: string, from: number, to: number) => Promise<AppliedWriteId[]>
  /** Told once per run of decided blocks applied to the chain store (events, metrics). */
  onApplied?: (run: AppliedRun) => void
  /** member: the node's one budget for undecided values, shared with its other member chains. */
  undecided?: UndecidedBudget
  /** own: signs our accepts and checks the values members report (value-proofs.ts). */
  proofs?: ProposerProofs
  /** own: where our consensus began and the booth deciding the chain, kept outside the database (OwnChainMarker). */
  consensusRecord?: ConsensusRecordStore
  /** own: how far our backups hold the chain (our newest table's held point), told to the booth; undefined: no table yet. */
  heldHeight?: () => number | undefined
}

/** Where a vehicle's consensus record is read and written (OwnChainMarker.consensus / noteConsensus). */
export interface ConsensusRecordStore {
  get: () => ConsensusRecord | undefined
  /** Synced before it resolves; throws if it cannot be written. */
  note: (record: ConsensusRecord) => Promise<void>
  /** Drops it: the chain went another way than its backups' (OwnChainConflictError). */
  clear: () => Promise<void>
}

/** Decided blocks just applied: the tip they reached, how many, and who decided the last one. */
export interface AppliedRun {
  tip: ChainTip
  blocks: number
  transactions: number
  booth: string[]
}

export interface ReplicaSetup {
  /** The chain's genesis booth (the same on every replica). */
  genesis: string[]
  election: ElectionConfig
  /** shared: a replica opened with nothing stored counts no promise of its own until it leads (PaxosConfig.forgotVotes). */
  forgotVotes?: boolean
}
