/**
 * Timing and sizing of booth consensus on a node. Time is counted in ticks
 * of TICK_MS; the state machine knows nothing else.
 */

/** One tick of every chain's state machine. */
export const TICK_MS = 50

export const PAXOS_TIMING = {
  /**
   * Ticks without a leader before the best shared-chain candidate campaigns
   * (1 s): well above a loaded host's event-loop stalls, so a live leader is
   * not deposed by a late heartbeat.
   */
  electionTicks: 20,
  /** The leader heartbeats (and retransmits) every 100 ms. */
  heartbeatTicks: 2,
  /**
   * A vehicle's own chain with nothing in flight heartbeats once a second
   * instead (measured: idle CPU of ten vehicles, about 70 → 45 ms/s each). Its
   * members time nothing out on it but retirement (--member-idle, 60 s) and
   * eviction at the member limit (MEMBER_EVICT_SILENCE).
   */
  idleHeartbeatTicks: 20,
  /** Each lower rank waits 300 ms more (Bully: the best live candidate goes first). */
  rankTicks: 6,
  /** Random extra wait, so two equal candidates rarely collide. */
  jitterTicks: 6,
  /**
   * A booth change decided at slot k governs slots ≥ k + window, and at most
   * `window` slots are in flight. Small: batches carry the throughput, and a
   * booth change costs `window` slots (which make no blocks).
   */
  window: 4,
  maxInflight: 4,
  /** Proposals the state machine may queue; the driver keeps its own buffer in front. */
  maxPending: 64,
  /**
   * Decided values per catch-up answer: each may be a 4 MiB block, and a
   * frame must stay under the transport's 24 MiB limit.
   */
  maxCatchup: 4,
  /**
   * Bytes of accepted, undecided values a member holds per chain: a leader
   * has at most `window` slots in flight (a few 4 MiB blocks each at most),
   * so this never withholds a vote from one; a member that sent accepts it
   * never decides (up to 16 windows ahead, 24 MiB each) filled 1.5 GiB of
   * every booth member's disk per chain, kept for good.
   */
  maxUndecidedBytes: 64 * 1024 * 1024,
  /** Applied slots piled up before the consensus log is compacted … */
  compactEvery: 256,
  /** … keeping this many behind the applied point for laggards (no snapshot needed). */
  compactKeep: 64,
  /**
   * The log holds its decided values in memory until compacted: it is
   * compacted also once they come to this many bytes, keeping at most
   * `compactKeepBytes` of them (320 slots of 4 MiB blocks were 1.3 GiB).
   */
  compactBytes: 64 * 1024 * 1024,
  compactKeepBytes: 16 * 1024 * 1024,
  /**
   * A booth member of another vehicle's chain keeps far less: it holds no
   * copy of the chain (that is the owner's and its k backups'), nobody
   * catches up from it but that owner, and the owner needs its decided
   * values only if it lost its database before a backup took them. What it
   * keeps is temporary storage, so it is compacted every 32 applied slots
   * down to the last 8 (two windows, a margin), but never above what the
   * owner says its backups hold (MemberHold.limit).
   */
  memberCompactEvery: 32,
  memberCompactKeep: 8,
  /** The same in bytes of values, per vehicle a member serves (up to 256 of them, `--member-chains`). */
  memberCompactBytes: 16 * 1024 * 1024,
  memberCompactKeepBytes: 4 * 1024 * 1024
} as const

/**
 * A member keeps at most this many slots, and this many bytes of values, of
 * a vehicle's chain above what its backups hold (MemberHold.limit).
 * Its decided values stay in memory until they are compacted, so this bounds
 * what a vehicle whose backups stay away costs each of its members; past it,
 * what only the booth held is given up.
 */
export const MEMBER_HOLD_SLOTS = 1024
export const MEMBER_HOLD_BYTES = 64 * 1024 * 1024

/** Id of the network's shared chain. */
export const SHARED_CHAIN = 'shared'

/**
 * A shared chain is founded once the founder's view of the network has been
 * stable this long (and every peer in it has said hello).
 */
export const FORMATION_DELAY = 3_000

/**
 * How long a shared chain must stay stranded here (no block, no leader, no
 * connected member running it while some run another) before this node
 * leaves it for theirs (strandedStep): twice the founding delay, so a
 * member that is only reconnecting, or a hello on its way, is not taken
 * for gone.
 */
export const STRANDED_DELAY = 2 * FORMATION_DELAY

/**
 * How long a `leader` read may wait for a majority to confirm the leader
 * and for the store to apply the read index: below the read protocol's
 * 5 s message timeout, so the reader hears NOT_LEADER rather than nothing.
 */
export const LEADER_READ_TIMEOUT = 3_000

/**
 * How long a `leader` read of the shared chain waits for a leader while the
 * chain has none it can reach (an election, a takeover by a better-ranked
 * vehicle back on the LAN, a leader lost): a new leader takes 1.3-1.9 s
 * after a kill -9 (docs/benchmarks.md), so this covers it with room. A
 * write waits its commit timeout the same way. A vehicle's own chain has
 * no election: its reads fail at once when the vehicle is unreachable.
 */
export const LEADER_READ_ELECTION_WAIT = 5_000

/** Pause between attempts to reach the shared chain's leader (writes and leader reads). */
export const LEADER_RETRY_DELAY = 100

/**
 * How long a quorum read of the shared chain waits for this node to decide
 * what it has heard was decided elsewhere: until then its booth (whom it
 * asks) may be one whose members have left — the genesis booth, for a
 * vehicle that just joined. Past it the read asks whom it knows.
 */
export const QUORUM_READ_CATCHUP_WAIT = 3_000

/**
 * How long a holder of the shared chain asked for a read waits for its store
 * to hold the slots it accepted (ChainReplica.heldAccepted): a heartbeat or
 * two normally; a leader that died after its majority accepted is replaced
 * (and the slot decided again) within a couple of election timeouts. Well
 * under the reader's 5 s per answer. Past it the holder answers UNAVAILABLE,
 * not its copy, which may lack a write acknowledged meanwhile; the reader
 * asks it again (a probe, 2026-12-03).
 */
export const QUORUM_HOLDER_WAIT = 2_000

/**
 * At the member limit, a member replica whose proposer has been silent this
 * long (ms) gives way to a new vehicle's booth: four idle heartbeats, so a
 * live booth, idle or not, is not evicted by a stalled event loop.
 */
export const MEMBER_EVICT_SILENCE = 4 * PAXOS_TIMING.idleHeartbeatTicks * TICK_MS

/**
 * How long one member is given to send the write ids of the blocks a
 * snapshot brought (learnWriteIds, snapshot-write-ids.ts): it runs in the replica's
 * drive loop, which sends nothing meanwhile. 16k ids are ~3 MB.
 */
export const WRITE_IDS_WAIT = 3_000
