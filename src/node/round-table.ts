/**
 * What a replication round's table says, from what its transfers did: the
 * backups it names active (the fresh ones, and older copies kept while short
 * of k) and obsolete, the partial copies it leaves to resume, and the tip it
 * covers. No I/O: the round (replication-round.ts) signs and records it.
 */
import type { ChainTip } from '../chain/index.ts'
import { MAX_TABLE_MEMBERS } from '../backup/index.ts'

/**
 * Previous backups a round short of k keeps in its table besides k (see
 * tableMembers): a few more than k, as some of them may be gone for good.
 */
const KEPT_MARGIN = 2

/** The lowest tip the fresh backups reached (each at least `start`), or `start` when none was refreshed. */
export function reachedByAll (start: ChainTip, reached: ChainTip[]): ChainTip {
  let low: ChainTip | undefined
  for (const r of reached) if (low == null || r.height < low.height) low = r
  return low != null && low.height > start.height ? low : start
}

export interface RoundResults {
  kBackups: number
  /** At least k fresh backups. */
  complete: boolean
  /** The active backups of the table the round replaces. */
  previousActive: string[]
  /** The candidates that took the chain (fresh backups). */
  active: string[]
  /** Failed candidates that may have stored part of the chain before failing. */
  partial: string[]
  /** Of those, the ones whose transfer began: they hold part of the chain. */
  begun: string[]
  /** Obsolete backups not told to release yet (ReleaseQueue.peers). */
  owed: string[]
  /** Transfers a crash interrupted before their table (TransferNotes.interrupted). */
  interrupted: string[]
}

export interface TableMembers {
  /** Previous backups kept active, not refreshed. */
  kept: string[]
  /** The table's active backups: the fresh ones first, then those kept. */
  named: string[]
  /** Partial copies left where they are for the next round to resume. */
  resumable: string[]
  /** Every backup told to release. */
  obsoleteAll: string[]
  /** Those of them the table names. */
  obsolete: string[]
}

export function tableMembers (r: RoundResults): TableMembers {
  const { kBackups, complete, active } = r
  // Previous backups this round could not refresh stay active while there
  // are fewer than k fresh ones: an older copy is better than none, and the
  // next round catches it up (readers see its older height and treat its
  // answers as stale). Released, it would leave the chain on the proposer alone.
  // At most k + KEPT_MARGIN of them, those refreshed last first (a table
  // lists its fresh backups first, then those it kept in the order it had
  // them): else every round short of k while backups come and go (vehicles
  // driving on) added one for good, until the table no longer fit
  // MAX_TABLE_MEMBERS and every round failed after its block was committed.
  // Those left out are obsolete below, and told to release.
  const notRefreshed = complete ? [] : r.previousActive.filter(p => !active.includes(p))
  const kept = notRefreshed.slice(0, Math.max(0, Math.min(kBackups + KEPT_MARGIN, MAX_TABLE_MEMBERS - active.length)))
  const named = [...active, ...kept]
  // A round short of k leaves the part of the chain a failed candidate got
  // where it is, noted as a transfer a round began (interrupted): the next
  // round tries it first and resumes from its tip. Released, every retry
  // began from nothing, and on a slow link (a bandwidth probe: 42 MB at
  // 4 Mbit/s) a copy that failed near its end was never made. Meanwhile it
  // is an unclaimed copy there (retention's grace); the next round that
  // does not name it releases it. A complete round needs none of them.
  const resumable = complete ? [] : r.begun.filter(p => !named.includes(p))
  // previous holders, those not yet told, failed candidates that may hold a
  // partial copy, and transfers a crash interrupted before their table
  const previous = new Set([...r.previousActive, ...r.owed, ...r.partial, ...r.interrupted])
  const obsoleteAll = [...previous].filter(p => !named.includes(p) && !resumable.includes(p))
  // the table names at most MAX_TABLE_MEMBERS obsolete backups (newest
  // first: they are the likeliest to be asked); all of them are still told
  const obsolete = obsoleteAll.slice(0, MAX_TABLE_MEMBERS)
  return { kept, named, resumable, obsoleteAll, obsolete }
}
