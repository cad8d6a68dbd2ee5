/**
 * What pinning or unpinning does to a chain's list of pins. A user names
 * heights, not list entries: pinning heights a range already covers changes
 * nothing, a new range absorbs the ranges it overlaps or touches, and
 * unpinning heights takes them out of every range that holds them (1-3 less
 * 2 leaves 1-1 and 3-3). Key pins are matched exactly.
 */
import type { Pin } from './index.ts'

type RangePin = Extract<Pin, { type: 'range' }>

/** The pins to delete and to write for a change; `from`: the lowest height it unpins. */
export interface PinChange {
  remove: Pin[]
  add: Pin[]
  from?: number
}

export function pinEquals (a: Pin, b: Pin): boolean {
  if (a.type === 'key' && b.type === 'key') return a.key === b.key
  if (a.type === 'range' && b.type === 'range') return a.from === b.from && a.to === b.to
  return false
}

const ranges = (pins: Pin[]): RangePin[] => pins.filter((p): p is RangePin => p.type === 'range')

/** What adding `pin` changes, or undefined if its blocks are pinned already. */
export function planPin (pins: Pin[], pin: Pin): PinChange | undefined {
  if (pin.type === 'key') return pins.some(p => pinEquals(p, pin)) ? undefined : { remove: [], add: [pin] }
  if (ranges(pins).some(r => r.from <= pin.from && pin.to <= r.to)) return undefined
  // one range per run of pinned heights: fewer pins to list and to check on each prune
  const touching = ranges(pins).filter(r => r.from <= pin.to + 1 && pin.from <= r.to + 1)
  const from = Math.min(pin.from, ...touching.map(r => r.from))
  const to = Math.max(pin.to, ...touching.map(r => r.to))
  return { remove: touching, add: [{ type: 'range', from, to }] }
}

/** What removing `pin` changes, or undefined if none of it is pinned. */
export function planUnpin (pins: Pin[], pin: Pin): PinChange | undefined {
  if (pin.type === 'key') return pins.some(p => pinEquals(p, pin)) ? { remove: [pin], add: [], from: 1 } : undefined
  const hit = ranges(pins).filter(r => r.from <= pin.to && pin.from <= r.to)
  if (hit.length === 0) return undefined
  const pieces: RangePin[] = []
  for (const r of hit) {
    if (r.from < pin.from) pieces.push({ type: 'range', from: r.from, to: pin.from - 1 })
    if (pin.to < r.to) pieces.push({ type: 'range', from: pin.to + 1, to: r.to })
  }
  // overlapping ranges (pinned by an older version) may leave the same piece twice, or one that is kept already
  const kept = pins.filter(p => !hit.some(r => pinEquals(p, r)))
  const add = pieces.filter((p, i) => !pieces.slice(0, i).some(q => pinEquals(p, q)) && !kept.some(q => pinEquals(p, q)))
  return { remove: hit, add, from: Math.min(...hit.map(r => Math.max(r.from, pin.from))) }
}

/**
 * Pins one chain may have. Each pin is checked on every prune of the chain and
 * listed whole by GET …/pins; a list of single heights grew without bound
 * (20k pins took a second to merge, the event loop stalled). A range pins any
 * number of heights as one pin.
 */
export const MAX_PINS_PER_CHAIN = 4_096

/** Chains with pins: pins may name a chain not held (yet), so the ids come from callers. */
export const MAX_PINNED_CHAINS = 4_096

/** Whether a change leaves more pins than a chain may have. */
export function overPinLimit (pins: Pin[], change: PinChange): boolean {
  return pins.length - change.remove.length + change.add.length > MAX_PINS_PER_CHAIN
}

const pinId = (p: Pin): string => p.type === 'key' ? `k${p.key}` : `r${p.from}-${p.to}`

/** The list after a change: what replaces removed pins takes the place of the first of them. */
export function applyPinChange (pins: Pin[], change: PinChange): Pin[] {
  const gone = new Set(change.remove.map(pinId))
  const removed = (p: Pin): boolean => gone.has(pinId(p))
  const at = pins.findIndex(removed)
  const rest = pins.filter(p => !removed(p))
  // every pin before the first removed one is kept: `at` is its place in `rest` too
  const index = at < 0 ? rest.length : at
  return [...rest.slice(0, index), ...change.add, ...rest.slice(index)]
}
