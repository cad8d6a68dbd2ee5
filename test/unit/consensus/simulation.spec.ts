/**
 * Randomized simulation of the Paxos state machine over many seeds (see
 * utils/simulation.ts for what a run does and utils/cluster.ts for the
 * invariants checked on every Ready).
 *
 *   PAXOS_SEED=123 npx vitest run test/unit/consensus/simulation.spec.ts   replay one seed
 *   PAXOS_SEEDS=20000 PAXOS_SEED_BASE=100000 npx vitest run …               explore more seeds
 */
import { describe, expect, it } from 'vitest'
import { simulate } from './utils/simulation.ts'

const DEFAULT_SEEDS = 3000
const CHUNK = 250

function run (seed: number): void {
  try {
    simulate(seed)
  } catch (err) {
    const e = err as Error
    e.message = `seed ${seed} failed; replay with PAXOS_SEED=${seed} npx vitest run test/unit/consensus/simulation.spec.ts\n${e.message}`
    throw e
  }
}

describe('consensus - randomized simulation', () => {
  const single = process.env.PAXOS_SEED
  if (single != null && single !== '') {
    it(`seed ${single}`, () => {
      run(Number(single))
    })
    return
  }
  const base = Number(process.env.PAXOS_SEED_BASE ?? 1)
  const count = Number(process.env.PAXOS_SEEDS ?? DEFAULT_SEEDS)
  const chunks: Array<[number, number]> = []
  for (let from = base; from < base + count; from += CHUNK) {
    chunks.push([from, Math.min(from + CHUNK, base + count) - 1])
  }
  it.each(chunks)('seeds %i..%i: no slot decided twice, progress once healed', (from, to) => {
    for (let seed = from; seed <= to; seed++) {
      run(seed)
    }
  })

  it('is deterministic: a seed replays to the same result', () => {
    expect(simulate(4242)).toEqual(simulate(4242))
  })
})
