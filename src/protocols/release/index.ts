/**
 * @packageDocumentation
 *
 * `/vguard/release/1.0.0`: the proposer tells an obsolete backup that it may
 * delete its copy, and hands it the signed backup table of the new epoch to
 * forward readers with.
 *
 * Guarantees (backup side):
 * - the table must verify (signed by the chain's owner) and the sender must be
 *   that owner: a forged release, or one for a chain the sender does not own,
 *   is refused with nothing changed;
 * - a release older than the table already held is STALE: nothing changes;
 * - releases are idempotent: the same epoch again answers OK;
 * - a release for a chain this node neither holds nor knows a table for is
 *   refused (INVALID): it was never a backup of it;
 * - the copy is deleted only if the new table lists this node as obsolete and
 *   not active; the table is kept (persisted) as the forward pointer;
 * - a release this node fails to carry out (its disk) answers ERROR with the
 *   reason, and the owner tries again.
 *
 * @example
 *
 * ```ts
 * const release = new ReleaseService({ libp2p, store, tables, logger })
 * await release.start()
 * const { epoch, deleted } = await release.release(obsoletePeer, signedTable)
 * ```
 */
export { ReleaseService } from './release.ts'
export type { ReleaseComponents, ReleaseInit, ReleaseOutcome } from './release.ts'
export { RELEASE_PROTOCOL } from './constants.ts'
export { StaleReleaseError, ReleaseRejectedError, ReleaseFailedError } from './errors.ts'
