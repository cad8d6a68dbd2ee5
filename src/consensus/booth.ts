/**
 * Booths and booth epochs.
 *
 * The booth of slot s is a function of the decided values only: the genesis
 * booth, changed by every decided `booth` value at a slot k for the slots
 * ≥ k + window. Because a leader never proposes slot s before every slot
 * ≤ s - window is decided, whoever proposes s knows its booth exactly, and
 * every ballot that ever accepts at s uses the same quorum system. Per slot,
 * that is plain single-decree Paxos (Lamport's "α" reconfiguration).
 */
import { InvalidBoothError } from './errors.ts'
import type { BoothEpoch, Value } from './types.ts'

/** Largest booth accepted; a booth is a handful of vehicles in radio range. */
export const MAX_BOOTH_SIZE = 64

export function validateBooth (members: unknown, what = 'booth'): string[] {
  if (!Array.isArray(members) || members.length === 0 || members.length > MAX_BOOTH_SIZE) {
    throw new InvalidBoothError(`${what} must list 1..${MAX_BOOTH_SIZE} members`)
  }
  const seen = new Set<string>()
  for (const m of members) {
    if (typeof m !== 'string' || m.length === 0 || m.length > 256) {
      throw new InvalidBoothError(`${what} members must be non-empty peer ids`)
    }
    if (seen.has(m)) {
      throw new InvalidBoothError(`${what} lists ${m} twice`)
    }
    seen.add(m)
  }
  return [...members]
}

/** Votes needed from a booth: a strict majority. */
export function quorumSize (members: readonly string[]): number {
  return Math.floor(members.length / 2) + 1
}

/** True when `voters` hold a majority of `members`. */
export function hasMajority (members: readonly string[], voters: ReadonlySet<string>): boolean {
  let n = 0
  for (const m of members) {
    if (voters.has(m)) {
      n++
    }
  }
  return n >= quorumSize(members)
}

export function sameMembers (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) {
    return false
  }
  const set = new Set(a)
  return b.every(m => set.has(m))
}

/** The booth governing `slot`: the last epoch starting at or before it. */
export function boothFor (epochs: readonly BoothEpoch[], slot: number): string[] {
  let found: BoothEpoch | undefined
  for (const e of epochs) {
    if (e.slot <= slot) {
      found = e
    } else {
      break
    }
  }
  if (found == null) {
    throw new InvalidBoothError(`no booth known for slot ${slot}`)
  }
  return found.members
}

/** Adds an epoch (a fact from a decided value); duplicates are ignored, order is kept. */
export function addEpoch (epochs: BoothEpoch[], epoch: BoothEpoch): BoothEpoch[] {
  if (epochs.some(e => e.slot === epoch.slot)) {
    return epochs
  }
  const out = [...epochs, { slot: epoch.slot, members: [...epoch.members] }]
  out.sort((a, b) => a.slot - b.slot)
  return out
}

export function mergeEpochs (a: BoothEpoch[], b: readonly BoothEpoch[]): BoothEpoch[] {
  let out = a
  for (const e of b) {
    out = addEpoch(out, e)
  }
  return out
}

/** The epoch a decided value at `slot` adds, if it is a booth change. */
export function epochOf (slot: number, value: Value, window: number): BoothEpoch | undefined {
  return value.kind === 'booth' ? { slot: slot + window, members: value.members } : undefined
}

/**
 * Epochs known once every slot ≤ point is decided: changes decided at k ≤
 * point start at k + window ≤ point + window.
 */
export function epochsAt (epochs: readonly BoothEpoch[], point: number, window: number): BoothEpoch[] {
  return epochs.filter(e => e.slot <= point + window).map(e => ({ slot: e.slot, members: [...e.members] }))
}

/** Drops epochs that no slot > keepFrom - 1 can use any more (all but the last one starting ≤ keepFrom). */
export function pruneEpochs (epochs: readonly BoothEpoch[], keepFrom: number): BoothEpoch[] {
  let firstKept = 0
  for (let i = 0; i < epochs.length; i++) {
    if (epochs[i].slot <= keepFrom) {
      firstKept = i
    }
  }
  return epochs.slice(firstKept)
}
