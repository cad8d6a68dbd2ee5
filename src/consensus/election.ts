/**
 * Bully-style election timing. Candidates are ranked by priority (higher
 * first), then by peer id (greater first). Rank r waits
 * electionTicks + r * rankTicks + jitter ticks without hearing a leader
 * before it campaigns, so the best live candidate normally campaigns alone;
 * when two campaign anyway, Paxos ballots keep the outcome safe and the
 * loser steps down on the first nack.
 */
import type { Candidate } from './types.ts'

/** Orders candidates best first. */
export function compareCandidates (a: Candidate, b: Candidate): number {
  if (a.priority !== b.priority) {
    return b.priority - a.priority
  }
  if (a.id === b.id) {
    return 0
  }
  return a.id < b.id ? 1 : -1
}

/** 0 for the best candidate; -1 when `id` is not a candidate. */
export function rankOf (candidates: readonly Candidate[], id: string): number {
  const sorted = [...candidates].sort(compareCandidates)
  return sorted.findIndex(c => c.id === id)
}

/** True when `a` outranks `b` (an unknown id ranks below every candidate). */
export function outranks (candidates: readonly Candidate[], a: string, b: string): boolean {
  const ca = candidates.find(c => c.id === a)
  const cb = candidates.find(c => c.id === b)
  if (ca == null) {
    return false
  }
  if (cb == null) {
    return true
  }
  return compareCandidates(ca, cb) < 0
}

export interface TimeoutParams {
  electionTicks: number
  rankTicks: number
  jitterTicks: number
  rank: number
  random: () => number
}

/** Ticks of silence before campaigning. */
export function electionTimeout (p: TimeoutParams): number {
  const jitter = Math.min(p.jitterTicks - 1, Math.floor(p.random() * p.jitterTicks))
  return p.electionTicks + Math.max(0, p.rank) * p.rankTicks + Math.max(0, jitter)
}
