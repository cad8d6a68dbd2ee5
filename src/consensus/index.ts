/**
 * @packageDocumentation
 *
 * A pure Multi-Paxos state machine for booth consensus, in the style of
 * etcd raft's `RawNode`: no network, disk, clock or randomness inside.
 * Time is `tick()`, randomness is `config.random`, the network is
 * `step(message)` plus `ready().messages`, and the disk is
 * `ready().persist` plus the `PersistedState` a node restarts from.
 *
 * Roles: every node is an acceptor and a learner; the leader (the chain's
 * proposer, or the elected leader of a shared chain) runs phase 1 when it
 * takes over and phase 2 per slot, pipelined. Each slot's quorum is a
 * majority of its booth; booths change through decided `booth` values.
 *
 * The driver contract (raft's README: never send before the state is
 * persisted):
 * 1. `const rd = paxos.ready()`; if undefined there is nothing to do.
 * 2. Save `rd.persist` atomically and durably (`PaxosStorage.save`).
 * 3. Send `rd.messages` (each has `to`); losing some is fine, the state
 *    machine retransmits on ticks.
 * 4. Apply `rd.decided` in order (skip `noop`, note `booth` changes);
 *    fail or forward the callers of `rd.dropped`; if `rd.snapshot` is set,
 *    fetch the application state up to `rd.snapshot.slot` from
 *    `rd.snapshot.from`, then call `installSnapshot(rd.snapshot)` (after advance).
 * 5. `paxos.advance(rd)`.
 *
 * On restart, load the persisted state and pass it with `applied` (the last
 * slot the application applied durably) to `createPaxos`.
 *
 * @example
 *
 * ```ts
 * import { createPaxos, MemoryPaxosStorage } from './consensus/index.ts'
 *
 * const storage = new MemoryPaxosStorage() // LevelDB in the node
 * const paxos = createPaxos({
 *   id: myPeerId,
 *   booth: [myPeerId, peerB, peerC, peerD],
 *   election: { mode: 'fixed', proposer: myPeerId }, // a vehicle's own chain
 *   electionTicks: 10,
 *   heartbeatTicks: 1,
 *   random: Math.random,
 *   maxInflight: 8
 * }, await storage.load())
 *
 * setInterval(() => { paxos.tick(); void drain() }, 50)
 * transport.onMessage(msg => { paxos.step(msg); void drain() })
 *
 * let running = false
 * async function drain (): Promise<void> {
 *   if (running) return
 *   running = true
 *   try {
 *     for (let rd = paxos.ready(); rd != null; rd = paxos.ready()) {
 *       await storage.save(rd.persist)                 // 1. durable first
 *       for (const m of rd.messages) transport.send(m) // 2. then send
 *       for (const d of rd.decided) {                  // 3. then apply
 *         if (d.value.kind === 'data') await chain.append(d.slot, d.value, d.booth)
 *       }
 *       for (const p of rd.dropped) waiting.get(p.id)?.reject(new ProposalDroppedError())
 *       paxos.advance(rd)                              // 4. done
 *     }
 *   } finally {
 *     running = false
 *   }
 * }
 *
 * paxos.propose({ id: batchId, data: batchBytes }) // throws NotLeaderError elsewhere
 * ```
 */
export { Paxos, createPaxos } from './paxos.ts'
export { DEFAULT_WINDOW, DEFAULT_MAX_PENDING, DEFAULT_MAX_CATCHUP, DEFAULT_MAX_DECIDED_PER_READY, DEFAULT_MAX_CATCHUP_BYTES } from './config.ts'
export { applyPersist, MemoryPaxosStorage } from './storage.ts'
export { compareBallots, ballotEquals, formatBallot, ZERO_BALLOT } from './ballot.ts'
export { boothFor, quorumSize, validateBooth, MAX_BOOTH_SIZE } from './booth.ts'
export { validateMessage, MAX_ENTRIES_PER_MESSAGE, MAX_ID_LENGTH } from './validate.ts'
export { valuesEqual } from './values.ts'
export { compareCandidates, rankOf, electionTimeout } from './election.ts'
export {
  NotLeaderError, ProposalDroppedError, DuplicateProposalError, InvalidProposalError, InvalidBoothError,
  InvalidMessageError, ElectionDisabledError, PaxosConfigError, ReadyStateError
} from './errors.ts'
export type {
  Ballot, Proposal, Value, BoothEpoch, Entry, Decided, HardState, Persist, PersistedState, DroppedProposal, Divergence,
  SnapshotRequest, Ready, Message, MessageType, PrepareMessage, PromiseMessage, NackMessage, AcceptMessage,
  AcceptedMessage, HeartbeatMessage, HeartbeatAckMessage, CatchupMessage, DecidedMessage, SnapshotMessage, Candidate, ElectionConfig,
  PaxosConfig, Role, PaxosStatus, PaxosStorage, ReadState, FailedRead, ValueProof, CommitProof, ProposerProofs
} from './types.ts'
