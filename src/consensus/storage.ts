/**
 * The persistence rules in code: how one Persist changes a PersistedState,
 * and an in-memory PaxosStorage (tests, and nodes that need no durability).
 * A LevelDB implementation must give the same result for the same calls:
 * `hardState` replaced whole, entries upserted by slot, then entries with
 * slot ≤ compactTo deleted, all in one atomic batch.
 */
import type { Entry, Persist, PersistedState, PaxosStorage } from './types.ts'

function copyEntry (e: Entry): Entry {
  const copy: Entry = {
    slot: e.slot,
    ballot: { round: e.ballot.round, proposer: e.ballot.proposer },
    value: e.value,
    booth: [...e.booth],
    decided: e.decided
  }
  if (e.proof != null) copy.proof = { round: e.proof.round, signature: e.proof.signature }
  return copy
}

/** Applies one Persist to a persisted state (pure: returns a new state). */
export function applyPersist (state: PersistedState | undefined, persist: Persist): PersistedState | undefined {
  const hardState = persist.hardState ?? state?.hardState
  if (hardState == null) {
    // nothing durable yet: entries without a hard state cannot happen (the
    // first Ready that writes entries also writes the hard state)
    return state
  }
  const bySlot = new Map<number, Entry>()
  for (const e of state?.entries ?? []) {
    bySlot.set(e.slot, e)
  }
  for (const e of persist.entries) {
    bySlot.set(e.slot, copyEntry(e))
  }
  if (persist.compactTo != null) {
    for (const slot of bySlot.keys()) {
      if (slot <= persist.compactTo) {
        bySlot.delete(slot)
      }
    }
  }
  return {
    hardState: structuredClone(hardState),
    entries: [...bySlot.values()].sort((a, b) => a.slot - b.slot)
  }
}

/** Keeps the persisted state in memory. */
export class MemoryPaxosStorage implements PaxosStorage {
  private state?: PersistedState

  async load (): Promise<PersistedState | undefined> {
    return this.state == null ? undefined : structuredClone(this.state)
  }

  async save (persist: Persist): Promise<void> {
    this.state = applyPersist(this.state, persist)
  }
}
