/**
 * @packageDocumentation
 *
 * `/vguard/write/1.0.0`: a write handed to the chain's proposer — a
 * vehicle's own chain is written by that vehicle, the shared chain by its
 * elected leader — answered once committed.
 *
 * Guarantees:
 * - only connected members of our network may forward writes;
 * - the payload is checked (canonical transaction encoding, 1..65,536
 *   transactions, ≤ one block) before anything happens; a bad one is
 *   answered INVALID and changes nothing;
 * - the answer says what happened: OK with the block's height and hash
 *   (and, for a vehicle's own chain, what the replication round after the
 *   commit reached: COMPLETE, PARTIAL or PENDING, and the backups),
 *   NOT_LEADER with the leader to ask instead, NO_QUORUM (nothing written),
 *   COMMIT_TIMEOUT (proposed, may still commit whole), INVALID, REFUSED;
 * - one request and one response per stream; the writer's timeout is capped
 *   at 120 s;
 * - a request may carry the writer's id for the write (the same on every
 *   retry): the proposer answers a repeat it still remembers with the first
 *   one's outcome, so a retry after a lost answer does not commit twice.
 *
 * @example
 *
 * ```ts
 * const writes = new WriteService({ libp2p, logger, isMember, onWrite: async (w) => commitLocally(w) })
 * await writes.start()
 * const res = await writes.forward(leader, 'shared', payload, { timeout: 10_000 })
 * ```
 */
export { WriteService, replicationOf } from './write.ts'
export { WriteNotSentError } from './errors.ts'
export { idempotencyKeyProblem } from './idempotency-key.ts'
export type { WriteComponents, WriteInit, ForwardedWrite, WriteCommitted, ReplicationState, ReplicationReport } from './write.ts'
export { WriteRequest, WriteResponse } from './pb/write.ts'
export { WRITE_PROTOCOL, MAX_WRITE_TIMEOUT, MAX_WRITE_ID_BYTES, MAX_IDEMPOTENCY_KEY_BYTES, ANSWER_SLACK, MAX_PROBLEM_LENGTH } from './constants.ts'
