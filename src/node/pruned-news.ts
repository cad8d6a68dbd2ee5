import type { TypedEventEmitter } from 'main-event'
import type { RetentionReport } from '../storage/retention.ts'
import type { VGuardNodeEvents } from './events.ts'

/**
 * The storage master's reports told: freed bytes to the peers at once, and
 * storage:pruned to the node's listeners when a run freed something, went
 * over its bound, or could not prune a chain it could before (once: the same
 * news run after run is none).
 */
export function prunedNews (events: TypedEventEmitter<VGuardNodeEvents>, announceSoon: () => void): (report: RetentionReport, forRoom: boolean) => void {
  /** The last periodic run was over its bound: a run over it again with nothing freed is no news (storage:pruned). */
  let reportedOverBound = false
  /** Chains a run could not prune, as last told: a chain failing again run after run is no news either. */
  let reportedFailed = new Set<string>()
  return (report, forRoom) => {
    // peers choose backups by the room we advertise: freed bytes are room now, not at the next announce
    if (report.freedBytes > 0) announceSoon()
    // over its bound with nothing freed, run after run (a vehicle whose own chain outgrew its capacity): said once.
    // A run for room prunes below the bounds for an offer: whether it could is no news of the bounds, which
    // the periodic runs find (/status storage.overBound). Taken as theirs, a room event said overBound and a
    // periodic run over its bound after it went untold (a review, 2026-12-03)
    const overBoundNews = !forRoom && report.overBound && !reportedOverBound
    if (!forRoom) reportedOverBound = report.overBound
    const failed = Object.entries(report.failed).map(([chainId, error]) => ({ chainId, error }))
    const failedNews = failed.some(f => !reportedFailed.has(f.chainId))
    // a run for room reads only the chains it prunes: its report says nothing of the others
    if (!forRoom) reportedFailed = new Set(failed.map(f => f.chainId))
    else for (const f of failed) reportedFailed.add(f.chainId)
    if (report.freedBytes === 0 && !overBoundNews && !failedNews) return
    const chains = Object.entries(report.pruned).map(([chainId, heights]) => ({ chainId, blocks: heights.length }))
    events.safeDispatchEvent('storage:pruned', { detail: { freedBytes: report.freedBytes, chains, overBound: reportedOverBound, reason: forRoom ? 'room' : 'policy', failed } })
  }
}
