/**
 * Whom a leader keeps informed besides the acceptors it asks, and what it
 * tells them when its commit moves.
 */
import type { Settings } from './config.ts'
import type { PaxosLog } from './log.ts'
import type { Leadership } from './proposer.ts'
import type { Message } from './types.ts'

/** Everyone who should hear from the leader: members of the booths in force, learners, candidates. */
export function audience (log: PaxosLog, s: Settings): string[] {
  const set = new Set<string>()
  const epochs = log.epochs
  for (let i = 0; i < epochs.length; i++) {
    const next = epochs[i + 1]
    if (next == null || next.slot > log.commit + 1) {
      epochs[i].members.forEach(m => set.add(m))
    }
  }
  s.learners.forEach(l => set.add(l))
  s.candidates.forEach(c => set.add(c.id))
  set.delete(s.id)
  return [...set]
}

/**
 * Commit moved: acceptors of the new slots hear it in a heartbeat (they
 * hold the values); everyone else gets the decided values themselves.
 */
export function announce (log: PaxosLog, s: Settings, lead: Leadership, send: (msg: Message) => void): void {
  const entries = log.decidedFrom(lead.announced + 1, s.maxCatchup, s.maxCatchupBytes)
  const members = new Set<string>()
  for (const e of entries) {
    e.booth.forEach(m => members.add(m))
  }
  const everyone = audience(log, s)
  for (const to of everyone) {
    if (members.has(to)) {
      if (s.announceToBooth) {
        send({ type: 'heartbeat', from: s.id, to, ballot: lead.ballot, commit: log.commit })
      }
    } else {
      send({ type: 'decided', from: s.id, to, entries, commit: log.commit })
    }
  }
  farewell(log, s, lead, new Set(everyone), send)
  lead.announced = log.commit
}

/**
 * The members of a booth whose last slot the commit just passed, and that
 * the next booth left out, hear that commit once: the audience leaves them
 * out from here on, and without it they would hold their last votes
 * undecided for good (a vehicle's booth member retires by dropping decided
 * values only). The commit it carries stops at that booth's last slot, so
 * they do not fetch the next booth's values.
 */
function farewell (log: PaxosLog, s: Settings, lead: Leadership, everyone: Set<string>, send: (msg: Message) => void): void {
  const epochs = log.epochs
  for (let i = 0; i + 1 < epochs.length; i++) {
    const last = epochs[i + 1].slot - 1
    if (last <= lead.announced || last > log.commit) continue
    for (const to of epochs[i].members) {
      if (to !== s.id && !everyone.has(to)) send({ type: 'heartbeat', from: s.id, to, ballot: lead.ballot, commit: last })
    }
  }
}
