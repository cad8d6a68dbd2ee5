/**
 * Randomized simulation of the Paxos state machine over many seeds (see
 * utils/simulation.ts for what a run does and utils/cluster.ts for the
 * invariants checked on every Ready).
 *
 *   PAXOS_SEED=123 npx vitest run test/unit/consensus/simulation.spec.ts              replay one seed
 *   PAXOS_SEED=123 PAXOS_DEEP=1 npx vitest run test/unit/consensus/simulation.spec.ts replay a deep run
 *   PAXOS_SEEDS=20000 PAXOS_SEED_BASE=100000 npx vitest run …                           explore more seeds
 */
import { describe, expect, it } from 'vitest'
import { simulate } from './utils/simulation.ts'
import type { SimulationOptions, SimulationResult } from './utils/simulation.ts'

const DEFAULT_SEEDS = 3000
const DEFAULT_DEEP_SEEDS = 100
/** Chaos steps of a deep run (a few hundred slots decided under faults). */
const DEEP_STEPS = 3000
const CHUNK = 250
/**
 * Deep runs per test: a deep run costs ~25 shallow ones, and 100 in one test
 * took 9 s alone but 67 s on two loaded cores, past the 60 s test timeout.
 */
const DEEP_CHUNK = 25
/** [seed, what it found]: outside the default range, so replayed explicitly. */
const REMEMBERED_SEEDS: Array<[number, string]> = [
  [322962, 'two values at one slot: a leader proposed in a booth whose new members never promised its ballot'],
  [104275, 'a proposal left open: a leader that led again never filled the slot its earlier leadership had sent it to'],
  [107952, 'a proposal left open: chosen, but its slot was covered by a snapshot before it was handed out'],
  [117683, 'a proposal left open: decided by its leader, then covered by a snapshot before it was handed out'],
  [109503, 'no progress: a member outside the booth that promised its own failed ballot nacked the leader below it for good'],
  [127002, 'no progress: a member outside the booth that promised its own failed ballot nacked the leader below it for good'],
  [108824, 'a proposal left open: a deposed leader that did not lead again waited on a slot past every decision (heartbeatAck.fill)'],
  [112616, 'a proposal left open: a deposed leader that did not lead again waited on a slot past every decision (heartbeatAck.fill)']
]

/** [seed, what it found]: deep runs (with wipes) outside the default range, replayed explicitly. */
const REMEMBERED_DEEP_SEEDS: Array<[number, string]> = [
  [2000184, 'a stale leader read: two members that lost their database counted each other as new (one never met the other\'s earlier database), the one that remembered cut off']
]

/** [seed, what it found]: shallow runs with wipes outside the default range, replayed explicitly. */
const REMEMBERED_WIPE_SEEDS: Array<[number, string]> = [
  [8140948, 'the oracle called a value chosen by a vote no node counts: a member wiped after promising a higher ballot accepted a stale one\'s retransmission, held back at its proposer']
]

function run (seed: number, deep: boolean, wipes = true): SimulationResult {
  const opts: SimulationOptions = { ...(deep ? { chaosSteps: DEEP_STEPS } : {}), wipes }
  try {
    return simulate(seed, opts)
  } catch (err) {
    const e = err as Error
    e.message = `seed ${seed} failed; replay with PAXOS_SEED=${seed}${deep ? ' PAXOS_DEEP=1' : ''} npx vitest run test/unit/consensus/simulation.spec.ts\n${e.message}`
    throw e
  }
}

function chunks (base: number, count: number, size = CHUNK): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let from = base; from < base + count; from += size) {
    out.push([from, Math.min(from + size, base + count) - 1])
  }
  return out
}

describe('consensus - randomized simulation', () => {
  const single = process.env.PAXOS_SEED
  if (single != null && single !== '') {
    it(`seed ${single}`, () => {
      run(Number(single), process.env.PAXOS_DEEP === '1')
    })
    return
  }
  const base = Number(process.env.PAXOS_SEED_BASE ?? 1)

  it.each(chunks(base, Number(process.env.PAXOS_SEEDS ?? DEFAULT_SEEDS)))('seeds %i..%i: no slot decided twice, no stale leader read, progress once healed', (from, to) => {
    let reads = 0
    for (let seed = from; seed <= to; seed++) {
      reads += run(seed, false).reads
    }
    // every run ends with one; the chaos phase adds more, each checked against the oracle
    expect(reads).toBeGreaterThan(2 * (to - from + 1))
  })

  // seeds that once broke an invariant, kept so CI replays them on every run
  it.each(REMEMBERED_SEEDS)('remembered seed %i: %s', (seed) => {
    run(seed, false, false)
  })

  it.each(REMEMBERED_WIPE_SEEDS)('remembered seed with wipes %i: %s', (seed) => {
    run(seed, false)
  })

  it.each(REMEMBERED_DEEP_SEEDS)('remembered deep seed %i: %s', (seed) => {
    run(seed, true)
  })

  it.each(chunks(base, Number(process.env.PAXOS_DEEP_SEEDS ?? DEFAULT_DEEP_SEEDS), DEEP_CHUNK))(`deep runs (${DEEP_STEPS} chaos steps), seeds %i..%i`, (from, to) => {
    for (let seed = from; seed <= to; seed++) {
      run(seed, true)
    }
  })

  it('is deterministic: a seed replays to the same result', () => {
    expect(simulate(4242)).toEqual(simulate(4242))
  })
})
