/**
 * @packageDocumentation
 *
 * `/vguard/replicate/1.0.0`: a chain's proposer streams its chain to a backup.
 *
 * Guarantees:
 * - only the chain's owner (the peer whose id is the chain id) may push it;
 * - the backup says its tip first and receives only what it lacks; a copy
 *   that diverged is replaced from the start (asked to, `keepDiverged`,
 *   the proposer leaves it and fails with DivergedCopyError instead);
 * - every block is verified against the hash chain before it is stored
 *   (the chain store refuses anything else), and a bad frame ends the transfer
 *   with nothing of that frame stored;
 * - the proposer's DONE is answered only once the copy is durable (a sync
 *   write), so "k backups hold the chain" means durably;
 * - an interrupted transfer resumes from the backup's tip;
 * - asked to (`topUp`), the proposer also sends the blocks committed while
 *   the transfer runs before DONE, within bounds and the room the backup
 *   said it had; the result names the tip the backup holds;
 * - a backup refuses a chain that does not fit its free capacity, counting
 *   the room that transfers in flight have reserved (concurrent offers cannot
 *   together overfill it; a reservation ends with its transfer, however it ends);
 * - given `isMember`, a backup takes chains from members of its network only
 *   (FORBIDDEN otherwise, nothing stored).
 *
 * @example
 *
 * ```ts
 * const replicate = new ReplicateService({ libp2p, store, logger, freeCapacity, onStored, isMember: (peer) => peering.isMember(peer) })
 * await replicate.start()
 * const result = await replicate.replicateTo(backupPeerId, ownChainId, { epoch: 4 })
 * ```
 */
export { ReplicateService } from './replicate.ts'
export type { ReplicateComponents, ReplicateInit, ReplicateResult, ReplicateProgress } from './replicate.ts'
export { REPLICATE_PROTOCOL, MAX_MESSAGE_BYTES } from './constants.ts'
export { DivergedCopyError, NoCapacityError, ReplicateRefusedError } from './errors.ts'
