/**
 * Ballots are totally ordered: round first, then proposer id. Two proposers
 * never share a ballot, and one proposer never reuses a round (it persists the
 * highest round it used before sending a prepare with it).
 */
import type { Ballot } from './types.ts'

export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0, proposer: '' })

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareBallots (a: Ballot, b: Ballot): number {
  if (a.round !== b.round) {
    return a.round < b.round ? -1 : 1
  }
  if (a.proposer === b.proposer) {
    return 0
  }
  return a.proposer < b.proposer ? -1 : 1
}

export function ballotEquals (a: Ballot, b: Ballot): boolean {
  return compareBallots(a, b) === 0
}

export function maxBallot (a: Ballot, b: Ballot): Ballot {
  return compareBallots(a, b) >= 0 ? a : b
}

export function copyBallot (b: Ballot): Ballot {
  return { round: b.round, proposer: b.proposer }
}

export function formatBallot (b: Ballot): string {
  return `${b.round}.${b.proposer}`
}
