import type { TypedEventEmitter } from 'main-event'
import type { RetentionReport } from '../storage/retention.ts'
import type { VGuardNodeEvents } from './events.ts'

/**
 * The storage master's reports told: freed bytes to the peers at once, and
 * storage:pruned to the node's listeners when a run freed something or went
 * over its bound (once: the same news run after run is none).
 */
export function prunedNews (events: TypedEventEmitter<VGuardNodeEvents>, announceSoon: () => void): (report: RetentionReport, forRoom: boolean) => void {
  /** The last retention report was over its bound: a run over it again with nothing freed is no news (storage:pruned). */
  let reportedOverBound = false
  return (report, forRoom) => {
    // peers choose backups by the room we advertise: freed bytes are room now, not at the next announce
    if (report.freedBytes > 0) announceSoon()
    // over its bound with nothing freed, run after run (a vehicle whose own chain outgrew its capacity): said once
    const overBoundNews = report.overBound && !reportedOverBound
    reportedOverBound = report.overBound
    if (report.freedBytes === 0 && !overBoundNews) return
    const chains = Object.entries(report.pruned).map(([chainId, heights]) => ({ chainId, blocks: heights.length }))
    events.safeDispatchEvent('storage:pruned', { detail: { freedBytes: report.freedBytes, chains, overBound: report.overBound, reason: forRoom ? 'room' : 'policy' } })
  }
}
