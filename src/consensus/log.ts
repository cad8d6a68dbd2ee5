/**
 * The slot log one node keeps: accepted and decided entries, the commit
 * point, booth epochs, and which of it still has to be persisted.
 *
 * Two prefixes matter:
 * - `commit`: every slot ≤ commit is decided and its value is here (or was
 *   compacted after the application applied it). Delivery follows commit.
 * - `chosen` ≥ commit: every slot ≤ chosen is known to be decided, possibly
 *   without its value (a new leader learns from promises that slots up to a
 *   peer's commit are decided, before it has fetched them). The booth of every
 *   slot ≤ chosen + window is known.
 */
import { epochOf, boothFor, epochsAt, pruneEpochs, mergeEpochs } from './booth.ts'
import { valuesEqual } from './values.ts'
import type { BoothEpoch, Ballot, Decided, Entry, Value, ValueProof } from './types.ts'

export class PaxosLog {
  readonly window: number
  private readonly entries = new Map<number, Entry>()
  private readonly ids = new Map<string, number>()
  private dirty = new Map<number, Entry>()
  private compactTo?: number
  /**
   * Bytes of the data values of entries not decided, kept as entries come
   * and go: asked on every accept and after every Ready of a member (the
   * acceptor's bound, UndecidedBudget), it was a pass over the log each time.
   * Every such entry lies above commit (commit only passes decided slots).
   */
  private undecided = 0
  commit: number
  chosen: number
  compacted: number
  epochs: BoothEpoch[]
  /** Set when commit, compacted or epochs changed since the last takeDirty(). */
  hardDirty = false

  constructor (window: number, epochs: BoothEpoch[], commit = 0, compacted = 0, entries: Entry[] = []) {
    this.window = window
    this.epochs = epochs
    this.commit = commit
    this.chosen = commit
    this.compacted = compacted
    for (const e of entries) {
      if (e.slot > compacted) {
        this.put(e, false)
      }
    }
    this.advance()
  }

  get (slot: number): Entry | undefined {
    return this.entries.get(slot)
  }

  /** The highest slot held. */
  last (): number {
    let max = this.compacted
    for (const slot of this.entries.keys()) {
      if (slot > max) {
        max = slot
      }
    }
    return max
  }

  /** Slot of a retained data value with this id. */
  slotOfId (id: string): number | undefined {
    return this.ids.get(id)
  }

  boothFor (slot: number): string[] {
    return boothFor(this.epochs, slot)
  }

  /** Records an accepted value; a decided entry is never replaced. Returns false when ignored. */
  accept (slot: number, ballot: Ballot, value: Value, booth: string[], proof?: ValueProof): boolean {
    if (slot <= this.compacted || this.entries.get(slot)?.decided === true) {
      return false
    }
    this.put(withProof({ slot, ballot, value, booth, decided: false }, proof), true)
    return true
  }

  /**
   * Records a decided value. Decisions are facts: a second decision of the
   * same slot is ignored (safety makes it equal; the tests check that).
   */
  decide (slot: number, ballot: Ballot, value: Value, booth: string[], proof?: ValueProof): boolean {
    if (slot <= this.compacted || this.entries.get(slot)?.decided === true) {
      return false
    }
    // a decision that names no proof keeps the one the accepted value came with
    const held = this.entries.get(slot)
    const kept = proof ?? (held != null && valuesEqual(held.value, value) ? held.proof : undefined)
    this.put(withProof({ slot, ballot, value, booth, decided: true }, kept), true)
    const epoch = epochOf(slot, value, this.window)
    if (epoch != null) {
      this.addEpochs([epoch])
    }
    this.advance()
    return true
  }

  /** Marks a held entry decided (its value is the chosen one). */
  markDecided (slot: number): boolean {
    const e = this.entries.get(slot)
    if (e == null || e.decided) {
      return false
    }
    return this.decide(slot, e.ballot, e.value, e.booth, e.proof)
  }

  addEpochs (epochs: readonly BoothEpoch[]): void {
    const merged = mergeEpochs(this.epochs, epochs)
    if (merged !== this.epochs) {
      this.epochs = merged
      this.hardDirty = true
    }
  }

  /** A leader learned that every slot ≤ point is decided (values to be fetched). */
  learnChosen (point: number, epochs: readonly BoothEpoch[]): void {
    this.addEpochs(epochs)
    if (point > this.chosen) {
      this.chosen = point
      this.advance()
    }
  }

  /**
   * Decided values from `from` up to commit: at most `max` of them and, past
   * the first, at most `maxBytes` of data (messages have a size limit).
   */
  decidedFrom (from: number, max: number, maxBytes = Number.POSITIVE_INFINITY): Decided[] {
    const out: Decided[] = []
    let bytes = 0
    for (let s = Math.max(from, this.compacted + 1); s <= this.commit && out.length < max; s++) {
      const e = this.entries.get(s)
      if (e == null) {
        break
      }
      bytes += e.value.kind === 'data' ? e.value.data.byteLength : 0
      if (out.length > 0 && bytes > maxBytes) {
        break
      }
      out.push(e.proof == null ? { slot: s, value: e.value, booth: e.booth } : { slot: s, value: e.value, booth: e.booth, proof: e.proof })
    }
    return out
  }

  /** Bytes of the data values accepted above commit and not decided, but the one at `except`. */
  undecidedDataBytes (except: number): number {
    const e = this.entries.get(except)
    return this.undecided - (e != null ? undecidedBytesOf(e) : 0)
  }

  /** Entries above `after` (for a promise). */
  entriesAbove (after: number): Entry[] {
    const out: Entry[] = []
    for (const e of this.entries.values()) {
      if (e.slot > after) {
        out.push(e)
      }
    }
    return out.sort((a, b) => a.slot - b.slot)
  }

  /** Epochs known at commit that govern slots above it (sent with promises). */
  epochsAtCommit (): BoothEpoch[] {
    return pruneEpochs(epochsAt(this.epochs, this.commit, this.window), this.commit + 1)
  }

  /** Drops entries ≤ upTo (already applied by the application). */
  compact (upTo: number): void {
    if (upTo <= this.compacted) {
      return
    }
    for (const [slot, e] of this.entries) {
      if (slot <= upTo) {
        this.undecided -= undecidedBytesOf(e)
        this.entries.delete(slot)
        this.dirty.delete(slot)
        if (e.value.kind === 'data' && this.ids.get(e.value.id) === slot) {
          this.ids.delete(e.value.id)
        }
      }
    }
    this.compacted = upTo
    this.compactTo = upTo
    this.epochs = pruneEpochs(this.epochs, upTo + 1)
    this.hardDirty = true
  }

  /** The application state now covers every slot ≤ slot (a snapshot was installed). */
  restore (slot: number, epochs: readonly BoothEpoch[]): void {
    this.addEpochs(epochs)
    if (slot > this.commit) {
      this.commit = slot
      this.chosen = Math.max(this.chosen, slot)
    }
    this.compact(slot)
    this.advance()
  }

  /** Entries and compaction to persist since the last call. */
  takeDirty (): { entries: Entry[], compactTo?: number } {
    const entries = [...this.dirty.values()].sort((a, b) => a.slot - b.slot)
    const compactTo = this.compactTo
    this.dirty = new Map()
    this.compactTo = undefined
    return compactTo == null ? { entries } : { entries, compactTo }
  }

  hasDirty (): boolean {
    return this.dirty.size > 0 || this.compactTo != null || this.hardDirty
  }

  private put (e: Entry, dirty: boolean): void {
    const old = this.entries.get(e.slot)
    if (old?.value.kind === 'data' && this.ids.get(old.value.id) === e.slot) {
      this.ids.delete(old.value.id)
    }
    this.undecided += undecidedBytesOf(e) - (old != null ? undecidedBytesOf(old) : 0)
    this.entries.set(e.slot, e)
    if (e.value.kind === 'data') {
      this.ids.set(e.value.id, e.slot)
    }
    if (dirty) {
      this.dirty.set(e.slot, e)
    }
  }

  private advance (): void {
    const before = this.commit
    while (this.entries.get(this.commit + 1)?.decided === true) {
      this.commit++
    }
    if (this.commit !== before) {
      this.hardDirty = true
    }
    this.chosen = Math.max(this.chosen, this.commit)
    while (this.entries.get(this.chosen + 1)?.decided === true) {
      this.chosen++
    }
  }
}

/** The entry, with the proof when there is one (no undefined field: entries are compared whole in tests). */
function withProof (e: Entry, proof: ValueProof | undefined): Entry {
  if (proof != null) e.proof = proof
  return e
}

/** What an entry adds to PaxosLog.undecided: its data bytes while it is not decided. */
function undecidedBytesOf (e: Entry): number {
  return !e.decided && e.value.kind === 'data' ? e.value.data.byteLength : 0
}
