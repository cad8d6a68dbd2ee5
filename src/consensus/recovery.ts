/**
 * Phase 1 bookkeeping of a candidate: which promises it needs, and which
 * values it must re-propose once it has them.
 *
 * Which booths must promise? Let C be the highest commit the candidate knows
 * (its own or a promiser's) and M the highest slot any promiser reported.
 * Anything accepted anywhere lies at a slot ≤ C' + window, where C' is the
 * commit of the leader that proposed it; so a value can have been chosen
 * above C only at a slot s whose booth is fixed by the decided slots
 * ≤ s - window. The candidate computes the booth of every slot in
 * (C, M + window] from the values it recovers (booth changes included) and
 * needs a majority of each of these booths ("joint quorum"). By induction on
 * the slot, each recovered value at s is the one chosen at s, if any, so the
 * booths it derives are the true ones, and a value chosen at the first slot
 * above M would have been reported by the majority of its booth: nothing
 * above M can be chosen. See docs/consensus.md for the full argument.
 */
import { compareBallots } from './ballot.ts'
import { boothFor, epochOf, hasMajority, mergeEpochs, addEpoch, sameMembers } from './booth.ts'
import type { Ballot, BoothEpoch, Entry, PromiseMessage, Value } from './types.ts'

export interface RecoveryBase {
  /** The candidate's own chosen prefix and epochs. */
  chosen: number
  epochs: BoothEpoch[]
  window: number
}

export interface RecoveryPlan {
  /** Every slot ≤ chosen is decided. */
  chosen: number
  /** The peer reporting that commit, when it is above the candidate's own (fetch values from it). */
  chosenFrom?: string
  /** Decided epochs known at `chosen` (own and promisers'). */
  epochs: BoothEpoch[]
  /** Booths that need a majority of promises. */
  required: string[][]
  /** True when every required booth has a majority among the promisers. */
  satisfied: boolean
  /** Values to re-propose at chosen + 1, chosen + 2, …, in order (noop in gaps). */
  values: Value[]
  /** Slots above chosen reported as decided (value known to be chosen). */
  decided: Map<number, Entry>
}

interface Best {
  entry: Entry
  decided: boolean
}

export function planRecovery (base: RecoveryBase, promises: ReadonlyMap<string, PromiseMessage>): RecoveryPlan {
  let chosen = base.chosen
  let chosenFrom: string | undefined
  let epochs = base.epochs
  for (const p of promises.values()) {
    epochs = mergeEpochs(epochs, p.booths)
    if (p.commit > chosen) {
      chosen = p.commit
      chosenFrom = p.from
    }
  }

  // the highest-ballot value per slot above chosen; a decided report wins outright
  const best = new Map<number, Best>()
  for (const p of promises.values()) {
    for (const e of p.entries) {
      if (e.slot <= chosen) {
        continue
      }
      const cur = best.get(e.slot)
      if (cur == null || (!cur.decided && (e.decided || higher(e.ballot, cur.entry.ballot)))) {
        best.set(e.slot, { entry: e, decided: e.decided })
      }
    }
  }
  let maxSlot = chosen
  for (const slot of best.keys()) {
    maxSlot = Math.max(maxSlot, slot)
  }

  const values: Value[] = []
  const decided = new Map<number, Entry>()
  let tentative = epochs
  for (let s = chosen + 1; s <= maxSlot; s++) {
    const b = best.get(s)
    const value: Value = b == null ? { kind: 'noop' } : b.entry.value
    values.push(value)
    if (b?.decided === true) {
      decided.set(s, b.entry)
    }
    const epoch = epochOf(s, value, base.window)
    if (epoch != null) {
      tentative = addEpoch(tentative, epoch)
    }
  }

  const required: string[][] = []
  const voters = new Set(promises.keys())
  const last = maxSlot + base.window
  for (const e of tentative) {
    // the epoch governing chosen + 1, and every later one starting by `last`
    const next = tentative[tentative.indexOf(e) + 1]
    const governs = e.slot <= last && (next == null || next.slot > chosen + 1)
    if (governs && !required.some(r => sameMembers(r, e.members))) {
      required.push(e.members)
    }
  }
  if (required.length === 0) {
    required.push(boothFor(tentative, chosen + 1))
  }
  const satisfied = required.every(members => hasMajority(members, voters))
  return { chosen, chosenFrom, epochs, required, satisfied, values, decided }
}

function higher (a: Ballot, b: Ballot): boolean {
  return compareBallots(a, b) > 0
}
