/**
 * Which vehicles form the next booth of a chain (pure).
 *
 * Rules, in order:
 * 1. the proposer (or the shared chain's leader) is always a member;
 * 2. a member that is no longer connected is replaced by a connected vehicle
 *    outside the booth, when there is one;
 * 3. the booth grows with connected vehicles up to `size`;
 * 4. it never shrinks because members left: with no replacement a departed
 *    member keeps its seat, and its vote is simply missing. A proposer thus
 *    never cuts itself a smaller quorum when its booth fails — with two of
 *    four members gone, writes stop (NoQuorumError) instead of continuing on
 *    a booth of two;
 * 5. but a member that refuses the chain (a shared chain it left, so it
 *    cleared its votes there: Hello.sharedRefused) loses its seat, replaced
 *    or not: it said it never fills it again, so keeping it is no guess
 *    about its return but a vote missing for good.
 *
 * Newcomers are taken in a per-chain pseudo-random order (a hash of chain id
 * and peer id), so the booths of different vehicles spread over the swarm.
 */
import { createHash } from 'node:crypto'

function rank (chainId: string, peer: string): string {
  return createHash('sha256').update(chainId).update('\n').update(peer).digest('hex')
}

export interface BoothSelection {
  chainId: string
  /** The proposer or leader: always first. */
  self: string
  /** The booth in force now. */
  current: readonly string[]
  /** Connected, allowed vehicles (without self). */
  connected: readonly string[]
  /** Target size, including self. */
  size: number
  /** Vehicles that refuse the chain (never in `connected`): no seat, one they hold is dropped (rule 5). */
  refused?: readonly string[]
}

export function selectBooth (s: BoothSelection): string[] {
  const refused = new Set(s.refused)
  const alive = new Set(s.connected.filter(p => !refused.has(p)))
  const seated = [s.self, ...s.current.filter(m => m !== s.self)]
  const fresh = [...alive]
    .filter(p => p !== s.self && !seated.includes(p))
    .sort((a, b) => rank(s.chainId, a) < rank(s.chainId, b) ? -1 : 1)
  for (let i = 1; i < seated.length && fresh.length > 0; i++) {
    if (!alive.has(seated[i])) seated[i] = fresh.shift() as string
  }
  const members = seated.filter((m, i) => i === 0 || !refused.has(m))
  while (members.length < s.size && fresh.length > 0) members.push(fresh.shift() as string)
  // a smaller configured size (after a restart): drop departed members first, then the newest
  while (members.length > Math.max(1, s.size)) {
    const gone = members.findIndex((m, i) => i > 0 && !alive.has(m))
    members.splice(gone > 0 ? gone : members.length - 1, 1)
  }
  return members
}

/** Same members, in any order. */
export function sameBooth (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every(m => b.includes(m))
}
