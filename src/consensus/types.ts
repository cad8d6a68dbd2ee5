/**
 * Types of the pure Multi-Paxos state machine: values, ballots, messages,
 * what a Ready hands the driver, and the persistence interface the driver
 * implements (raft's `Storage`, here `PaxosStorage`).
 *
 * Everything is plain data (strings, numbers, booleans, Uint8Array, arrays),
 * so the transport can map it to protobuf field by field.
 */

/**
 * A ballot: `round` first, then `proposer` (a peer id) breaks ties, so
 * ballots of different proposers are never equal. The zero ballot
 * `{ round: 0, proposer: '' }` is below every real one.
 */
export interface Ballot {
  round: number
  proposer: string
}

/** What a client proposes: opaque bytes plus an id that makes retries recognisable. */
export interface Proposal {
  /** Unique per logical proposal; a retry of the same proposal reuses it. */
  id: string
  data: Uint8Array
}

/**
 * The value of one slot.
 * - `data`: a client proposal.
 * - `noop`: fills a gap a new leader found (decides nothing for the application).
 * - `booth`: a booth change; decided at slot k it governs slots ≥ k + window.
 */
export type Value =
  | { kind: 'data', id: string, data: Uint8Array }
  | { kind: 'noop' }
  | { kind: 'booth', members: string[] }

/** From `slot` on (until the next epoch), `members` is the booth: its majority is the quorum. */
export interface BoothEpoch {
  slot: number
  members: string[]
}

/**
 * One slot as an acceptor or learner keeps it. `ballot` is the ballot the
 * value was accepted at, `booth` the booth whose majority is the quorum of
 * this slot. `decided` is true once the value is known to be chosen.
 */
export interface Entry {
  slot: number
  ballot: Ballot
  value: Value
  booth: string[]
  decided: boolean
  /** The proposer's signature of the accept that brought the value (a chain with proofs). */
  proof?: ValueProof
}

/** A decided slot handed to the application, in slot order. */
export interface Decided {
  slot: number
  value: Value
  booth: string[]
  proof?: ValueProof
}

/**
 * The proposer of a chain with one proposer (a vehicle's own) signed that it
 * proposed a value at a slot in `round`. A member that reports a value of
 * that chain to its proposer must show it: no member can make up a value,
 * nor evidence that the proposer lost votes it cast (ProposerProofs).
 */
export interface ValueProof {
  round: number
  signature: Uint8Array
}

/**
 * The proposer of a chain with one proposer signed that every slot ≤
 * `commit` was decided: its members keep the highest one they heard, and a
 * member that tells it of a commit past every slot it holds must show one.
 */
export interface CommitProof {
  commit: number
  signature: Uint8Array
}

/**
 * Signs and checks ValueProofs and CommitProofs with the proposer's key (the
 * driver binds the chain id). Given to the proposer of a chain with one
 * proposer only: it signs every accept it sends and every commit it
 * announces, and believes no value a member reports about slots above its
 * commit unless the proof checks (or the value is the one it holds there),
 * nor a commit past its log without its signature.
 */
export interface ProposerProofs {
  sign: (slot: number, round: number, value: Value) => Uint8Array
  verify: (slot: number, round: number, value: Value, signature: Uint8Array) => boolean
  signCommit: (commit: number) => Uint8Array
  verifyCommit: (commit: number, signature: Uint8Array) => boolean
}

/** The small durable state; written whole whenever it changes. */
export interface HardState {
  /** Highest ballot this acceptor promised (or accepted at). */
  promised: Ballot
  /** Highest round this node ever used as a proposer: a restarted proposer never reuses a ballot. */
  round: number
  /** Every slot ≤ commit is decided and its value is stored (or compacted). */
  commit: number
  /** Slots ≤ compacted were dropped after the application applied them. */
  compacted: number
  /** Booth epochs from decided booth changes (plus the genesis booth), oldest first. */
  booths: BoothEpoch[]
  /** A member of a chain with proofs: the highest commit its proposer signed that it heard. */
  commitProof?: CommitProof
}

/**
 * What one Ready asks the driver to write, atomically and durably, before it
 * sends any message of that Ready.
 */
export interface Persist {
  /** Present when the hard state changed. */
  hardState?: HardState
  /** Entries to write, replacing any stored entry of the same slot. */
  entries: Entry[]
  /** Delete every stored entry with slot ≤ compactTo. */
  compactTo?: number
}

/** Everything a node persisted; a restarted node is rebuilt from this alone. */
export interface PersistedState {
  hardState: HardState
  entries: Entry[]
}

/**
 * A proposal that will never be decided: queued and never sent from this
 * node (it stopped leading), or sent by a leadership of this node that
 * ended, and its slot was decided with another value; or, `unknown`, one
 * whose fate this node will never learn.
 */
export interface DroppedProposal {
  id: string
  /** Who leads now, when known: forward the proposal there. */
  leader?: string
  /**
   * Not known to be lost: an ended leadership of this node had it in flight,
   * and its slot was compacted here (a snapshot) before this node learned the
   * value decided there; or it was decided here, but a snapshot covered its
   * slot before the decision was handed out (a slot below it was missing).
   * It may have been chosen; this node will never decide or report it again.
   */
  unknown?: true
}

/**
 * A peer answered a catch-up request for slots it already compacted: the
 * application must fetch its state up to `slot` from `from` (e.g. sync the
 * chain), then call `paxos.installSnapshot(snapshot)`.
 */
export interface SnapshotRequest {
  from: string
  slot: number
  booths: BoothEpoch[]
}

/**
 * A leader read (raft's ReadIndex) that a majority of every booth that could
 * decide a slot above `index` confirmed: no other leader had decided
 * anything new when the read arrived. Serve it once the application applied
 * every slot ≤ `index`.
 */
export interface ReadState {
  ctx: string
  index: number
}

/** A leader read this node cannot confirm: it is not (or no longer) the leader, or no majority answered in time. */
export interface FailedRead {
  ctx: string
  reason: 'not-leader' | 'timeout'
  /** Who leads now, when known. */
  leader?: string
}

/**
 * Work for the driver. Handle it in this order: persist `persist` durably,
 * then send `messages`, then apply `decided` (in order), then `advance(ready)`.
 */
export interface Ready {
  persist: Persist
  messages: Message[]
  decided: Decided[]
  dropped: DroppedProposal[]
  /** Leader reads confirmed (serve each once applied reaches its index) or failed. */
  reads: ReadState[]
  failedReads: FailedRead[]
  snapshot?: SnapshotRequest
  /** Promises not counted: their peer decided other values than this node at slots both decided (Divergence). */
  diverged?: Divergence[]
}

/**
 * A promise named a value decided at `slot` other than the one this node
 * decided there. Paxos never decides two values at a slot, so one of the two
 * histories was lost: a vehicle that lost its database (its key kept) and
 * decided its own chain alone from slot 1, while its old booth still holds
 * what it decided before (or a member that decided in such a vehicle's booth
 * while it wrote alone). The promise is not counted, and none of its decided
 * values is taken: applied on top of this node's chain, they would build
 * blocks that were never proposed there.
 */
export interface Divergence {
  slot: number
  peer: string
  /**
   * The campaign ended: always on a chain with one proposer (a vehicle's
   * own, which cannot tell its history from the member's), and on an
   * elected chain once the members that went another way leave a booth it
   * needs no majority. Not fatal, it goes on with the others.
   */
  fatal: boolean
}

interface Envelope {
  from: string
  to: string
}

/** Phase 1a: a candidate asks for a promise covering every slot ≥ `slot`. */
export interface PrepareMessage extends Envelope {
  type: 'prepare'
  ballot: Ballot
  slot: number
  /** A Bully takeover (elected chains): see PrePrepareMessage.takeover. */
  takeover?: boolean
}

/**
 * Phase 1b: the acceptor promised `ballot`. It reports its `commit` (all
 * slots ≤ commit decided, values held), the booth epochs known at that
 * commit, and every entry it holds above max(commit, prepare.slot - 1).
 * Decided values come along from prepare.slot - 1 on: the candidate holds
 * that one decided too, so the two can be compared (Divergence).
 */
export interface PromiseMessage extends Envelope {
  type: 'promise'
  ballot: Ballot
  commit: number
  booths: BoothEpoch[]
  entries: Entry[]
  /** The highest commit the proposer signed that the acceptor heard (a chain with proofs). */
  commitProof?: CommitProof
}

/**
 * PreVote (elected chains): would the acceptor promise `ballot` now? A
 * candidate asks a majority of its booth before it campaigns, so a node cut
 * off from the others never raises a ballot it could not win, and cannot
 * depose a working leader when it returns. Changes nothing at the acceptor.
 */
export interface PrePrepareMessage extends Envelope {
  type: 'prePrepare'
  ballot: Ballot
  /**
   * A Bully takeover: the candidate outranks the leader it followed steadily
   * (candidacy.ts mayTakeOver). Only such an ask may displace a live leader; one
   * made because the candidate heard no leader is refused by members that
   * still hear theirs, whatever its rank.
   */
  takeover?: boolean
}

/**
 * The answer to a prePrepare: `granted` when `ballot` is above what the
 * acceptor promised (`promised`) and it has not heard from a live leader
 * within an election timeout.
 */
export interface PrePromiseMessage extends Envelope {
  type: 'prePromise'
  ballot: Ballot
  granted: boolean
  promised: Ballot
}

/** A prepare or accept at `ballot` was refused: the acceptor promised `promised`. */
export interface NackMessage extends Envelope {
  type: 'nack'
  ballot: Ballot
  promised: Ballot
}

/** Phase 2a for one slot; `commit` is the leader's commit, so acceptors learn decisions. */
export interface AcceptMessage extends Envelope {
  type: 'accept'
  ballot: Ballot
  slot: number
  value: Value
  booth: string[]
  commit: number
  /** The proposer's signature of (slot, ballot.round, value), on a chain with proofs (ValueProof). */
  proof?: Uint8Array
  /** The proposer's signature of `commit` (CommitProof), on a chain with proofs. */
  commitProof?: Uint8Array
}

/** Phase 2b: the acceptor accepted (and persisted) `slot` at `ballot`. */
export interface AcceptedMessage extends Envelope {
  type: 'accepted'
  ballot: Ballot
  slot: number
}

/**
 * The leader is alive; every slot ≤ commit is decided. On an elected chain
 * every heartbeat is acknowledged (the leader checks it still has a
 * majority: check-quorum.ts); on a fixed proposer's, `read` > 0 asks for the
 * heartbeatAck. `read` > 0: the leader is confirming leader reads up to that number.
 */
export interface HeartbeatMessage extends Envelope {
  type: 'heartbeat'
  ballot: Ballot
  commit: number
  read?: number
  /** The proposer's signature of `commit` (CommitProof), on a chain with proofs. */
  commitProof?: Uint8Array
}

/**
 * The acceptor took heartbeat `read` at `ballot` (so it had promised no
 * higher ballot when the leader's reads up to `read` had arrived); `read`
 * 0 confirms no read, only that the acceptor follows this leader. `fill`:
 * an ended leadership of the sender has a value in flight at a slot up to
 * this one, past the heartbeat's commit: the leader decides the slots up to
 * it (noops where it has nothing to propose), so the sender learns that
 * value's fate.
 */
export interface HeartbeatAckMessage extends Envelope {
  type: 'heartbeatAck'
  ballot: Ballot
  read: number
  fill?: number
}

/** A learner asks for decided values from `slot` on. */
export interface CatchupMessage extends Envelope {
  type: 'catchup'
  slot: number
}

/** Decided values in slot order (a catch-up answer, or pushed to learners). */
export interface DecidedMessage extends Envelope {
  type: 'decided'
  entries: Decided[]
  commit: number
  /** The proposer's signature of `commit` (CommitProof), on a chain with proofs. */
  commitProof?: Uint8Array
}

/** Slots ≤ `slot` are compacted at the sender: fetch the application state from it. */
export interface SnapshotMessage extends Envelope {
  type: 'snapshot'
  slot: number
  booths: BoothEpoch[]
  /** The proposer's signature of `slot` as a commit (CommitProof), on a chain with proofs: a member's commit jumps to it. */
  commitProof?: Uint8Array
}

export type Message =
  | PrePrepareMessage
  | PrePromiseMessage
  | PrepareMessage
  | PromiseMessage
  | NackMessage
  | AcceptMessage
  | AcceptedMessage
  | HeartbeatMessage
  | HeartbeatAckMessage
  | CatchupMessage
  | DecidedMessage
  | SnapshotMessage

export type MessageType = Message['type']

/** A node that may be elected leader of a shared chain. */
export interface Candidate {
  id: string
  /** Higher campaigns first; ties go to the greater peer id. */
  priority: number
}

/**
 * Who may lead.
 * - `fixed`: a vehicle's own chain; only `proposer` ever campaigns, and every
 *   node refuses ballots of anyone else.
 * - `elected`: a shared chain; Bully-style priority decides who times out
 *   first, Paxos ballots keep it safe when two campaign at once.
 */
export type ElectionConfig =
  | { mode: 'fixed', proposer: string }
  | { mode: 'elected', candidates: Candidate[] }

export interface PaxosConfig {
  /** This node's peer id. */
  id: string
  /**
   * The genesis booth of the chain (the quorum for slot 1 on). Must be the
   * same on every node of the chain; later booths come from decided booth changes.
   */
  booth: string[]
  /** Nodes that are not booth members but want every decided value. @default [] */
  learners?: string[]
  election: ElectionConfig
  /** Ticks without a live leader before a (rank 0) follower campaigns. */
  electionTicks: number
  /** The leader heartbeats, and retransmits unacknowledged messages, every heartbeatTicks. */
  heartbeatTicks: number
  /**
   * A fixed proposer (mode 'fixed') with nothing in flight, nothing queued,
   * no read waiting and its commit already heard heartbeats only every
   * idleHeartbeatTicks: nobody times out on it (there is no election), the
   * heartbeat only tells its booth that it lives. Elected chains always
   * heartbeat every heartbeatTicks. ≥ heartbeatTicks. @default heartbeatTicks
   */
  idleHeartbeatTicks?: number
  /** Extra election ticks per rank below the top candidate. @default electionTicks */
  rankTicks?: number
  /** Random extra election ticks, in [0, jitterTicks). @default max(1, electionTicks / 2) */
  jitterTicks?: number
  /** Uniform random source in [0, 1); injected so the state machine stays deterministic. */
  random: () => number
  /**
   * Chain-wide constant (same on every node): a booth change decided at slot
   * k governs slots ≥ k + window, and no slot s is proposed before every
   * slot ≤ s - window is decided. @default 8 (DEFAULT_WINDOW, config.ts; the node passes its own: paxos-constants.ts)
   */
  window?: number
  /** Most undecided slots the leader keeps in flight; ≤ window. @default window */
  maxInflight?: number
  /** Most queued proposals waiting for a slot. @default 1024 */
  maxPending?: number
  /** Most decided values per catch-up answer (and per promise). @default 64 */
  maxCatchup?: number
  /** Most value bytes per catch-up answer, past its first value. @default 8 MiB */
  maxCatchupBytes?: number
  /**
   * Most bytes of data values an acceptor holds accepted and not yet decided
   * (an accept past it gets no vote: never unsafe, a vote is only withheld).
   * Leaders ahead of their commit by up to ACCEPT_AHEAD_WINDOWS windows could
   * else have an acceptor store that many slots of the largest frames, and a
   * chain whose owner never decides them keeps them. @default no bound
   */
  maxUndecidedBytes?: number
  /** Most decided values per Ready. @default 256 */
  maxDecidedPerReady?: number
  /** The last slot the application applied durably (on restart). @default compacted slot */
  applied?: number
  /**
   * Tell booth members at once (a heartbeat) when commit advances. Off, they
   * learn it from the next accept (which carries commit) or the periodic
   * heartbeat: fewer messages and writes per decision, for acceptors that
   * apply nothing (a vehicle's chain). Learners outside the booth always get
   * the decided values at once. Commit knowledge only speeds learning; safety
   * does not depend on it. @default true
   */
  announceToBooth?: boolean
  /**
   * This node's acceptor state was lost (a wiped data dir): what it promised
   * and accepted before is unknown, so its own promise does not count in
   * phase 1 (a majority of the booth without it must promise) until it first
   * leads; from then on its votes are durable again. @default false
   */
  forgotVotes?: boolean
  /**
   * The proposer of a chain with one proposer (mode 'fixed'): signs its
   * accepts and commits and checks what members report (ProposerProofs). Without it,
   * such a proposer believes what members report. @default none
   */
  proofs?: ProposerProofs
}

export type Role = 'follower' | 'candidate' | 'leader'

/** A snapshot of the node's view, for status pages and tests. */
export interface PaxosStatus {
  id: string
  role: Role
  /** The ballot this node leads or campaigns with, else the highest leader ballot it has seen. */
  ballot: Ballot
  promised: Ballot
  leader?: string
  commit: number
  /**
   * The highest commit other nodes said was decided (≥ commit): while it is
   * higher, this node is catching up and its booth may be an old one.
   */
  heard: number
  applied: number
  compacted: number
  /** The booth of slot commit + 1. */
  booth: string[]
  /** Slots in flight and proposals queued (leader only, else 0). */
  inflight: number
  pending: number
}

/**
 * Durable storage of one node's consensus state (like raft's Storage). The
 * driver loads it once before createPaxos and saves each Ready's `persist`
 * atomically and durably (fsync) before sending that Ready's messages.
 */
export interface PaxosStorage {
  /** The persisted state, or undefined for a brand-new node. */
  load: () => Promise<PersistedState | undefined>
  /** Writes one Persist atomically and durably. */
  save: (persist: Persist) => Promise<void>
}
