/**
 * @packageDocumentation
 *
 * `/vguard/read/1.0.0`: reading a chain (a key, a block, a range, or its tip)
 * from whoever holds it, with redirects from released backups.
 *
 * Guarantees:
 * - only connected members of our network are answered; any other peer gets
 *   FORBIDDEN and nothing else (not even whether we hold the chain);
 * - a holder answers with its role (proposer, active backup, stale obsolete
 *   backup, other holder), the height and epoch it holds, and the newest
 *   signed table it knows;
 * - a released backup answers REDIRECT with the signed table of the epoch that
 *   released it; the reader verifies it before following it;
 * - the reader judges staleness against the newest table it holds (older
 *   epoch or lower height than that table, or an unreleased obsolete
 *   backup), keeps looking for an up-to-date holder, and returns a stale
 *   answer (flagged) only if none answers;
 * - the reader asks each holder at most once, at most `maxHops` in all, and
 *   fails with NoHolderReachableError listing whom it tried;
 * - malformed requests are answered INVALID; nothing is changed by a read.
 *
 * @example
 *
 * ```ts
 * const read = new ReadService({ libp2p, store, tables, logger, isMember: (peer) => peering.isMember(peer) })
 * await read.start()
 * const result = await readWithRedirect({ request, self, proposer: chainId,
 *   ask: (peer, req) => read.ask(peerIdFromString(peer), req), tables })
 * ```
 */
export { ReadService, checkReadRequest } from './read.ts'
export type { ReadComponents, ReadInit, ReadStats, LeaderCheck } from './read.ts'
export { failedAsk, readWithRedirect } from './redirect.ts'
export type { RedirectReadResult, RedirectReadInit, PathEntry, PathOutcome, LookupResult } from './redirect.ts'
export { KeyEntry, ReadRequest, ReadResponse } from './pb/read.ts'
export { readRequest, readResponse, valueHeightProblem } from './messages.ts'
export { DEFAULT_KEYS_PER_READ, MAX_KEYS_PER_READ, MAX_REQUEST_BYTES, READ_PROTOCOL } from './constants.ts'
export { NoHolderReachableError } from './errors.ts'
export type { TriedHolder } from './errors.ts'
