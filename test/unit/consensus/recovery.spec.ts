import { describe, expect, it } from 'vitest'
import { planRecovery } from '../../../src/consensus/recovery.ts'
import type { BoothEpoch, Entry, PromiseMessage, Value } from '../../../src/consensus/index.ts'

const genesis: BoothEpoch[] = [{ slot: 1, members: ['a', 'b', 'c'] }]
const data = (id: string): Value => ({ kind: 'data', id, data: new TextEncoder().encode(id) })

function entry (slot: number, round: number, value: Value, decided = false, booth = ['a', 'b', 'c']): Entry {
  return { slot, ballot: { round, proposer: 'p' }, value, booth, decided }
}

function promises (...list: Array<[string, number, Entry[], BoothEpoch[]?]>): Map<string, PromiseMessage> {
  return new Map(list.map(([from, commit, entries, booths]) => [from, {
    type: 'promise', from, to: 'a', ballot: { round: 9, proposer: 'a' }, commit, booths: booths ?? genesis, entries
  }]))
}

describe('consensus - phase 1 recovery plan', () => {
  it('adopts the highest-ballot value per slot and fills gaps with noops', () => {
    const plan = planRecovery({ chosen: 0, epochs: genesis, window: 4 }, promises(
      ['a', 0, [entry(1, 1, data('x'))]],
      ['b', 0, [entry(1, 3, data('y')), entry(3, 2, data('z'))]]
    ))
    expect(plan.satisfied).toBe(true)
    expect(plan.values).toEqual([data('y'), { kind: 'noop' }, data('z')])
  })

  it('prefers a value reported as decided over any ballot', () => {
    const plan = planRecovery({ chosen: 0, epochs: genesis, window: 4 }, promises(
      ['a', 0, [entry(1, 1, data('x'), true)]],
      ['b', 0, [entry(1, 7, data('y'))]]
    ))
    expect(plan.values).toEqual([data('x')])
    expect([...plan.decided.keys()]).toEqual([1])
  })

  it('needs a majority of the booth', () => {
    const plan = planRecovery({ chosen: 0, epochs: genesis, window: 4 }, promises(['a', 0, []]))
    expect(plan.required).toEqual([['a', 'b', 'c']])
    expect(plan.satisfied).toBe(false)
  })

  it('starts after the highest commit a promiser reports, with that promiser as source', () => {
    const plan = planRecovery({ chosen: 2, epochs: genesis, window: 4 }, promises(
      ['a', 2, []],
      ['b', 5, [entry(6, 4, data('w'))]]
    ))
    expect(plan.chosen).toBe(5)
    expect(plan.chosenFrom).toBe('b')
    expect(plan.values).toEqual([data('w')])
  })

  it('requires a majority of a booth that a recovered booth change brings in (joint quorum)', () => {
    const change: Value = { kind: 'booth', members: ['c', 'd', 'e'] }
    const plan = planRecovery({ chosen: 0, epochs: genesis, window: 1 }, promises(
      ['a', 0, []],
      ['b', 0, [entry(1, 1, change)]]
    ))
    expect(plan.required).toEqual([['a', 'b', 'c'], ['c', 'd', 'e']])
    expect(plan.satisfied).toBe(false)
    const more = planRecovery({ chosen: 0, epochs: genesis, window: 1 }, promises(
      ['a', 0, []],
      ['b', 0, [entry(1, 1, change)]],
      ['d', 0, [entry(2, 1, data('v'), false, ['c', 'd', 'e'])]],
      ['e', 0, []]
    ))
    expect(more.satisfied).toBe(true)
    expect(more.values).toEqual([change, data('v')])
  })

  it('covers window slots past the last reported one: a change there already governs them', () => {
    const change: Value = { kind: 'booth', members: ['d', 'e', 'f'] }
    // the change at slot 2 governs slot 2 + 3 = 5 ≤ last reported (2) + window (3)
    const plan = planRecovery({ chosen: 0, epochs: genesis, window: 3 }, promises(
      ['a', 0, [entry(2, 1, change)]],
      ['b', 0, []]
    ))
    expect(plan.required).toEqual([['a', 'b', 'c'], ['d', 'e', 'f']])
  })

  it('uses the epochs a promiser knows at its commit', () => {
    const epochs: BoothEpoch[] = [{ slot: 1, members: ['a', 'b', 'c'] }, { slot: 4, members: ['a', 'd', 'e'] }]
    const plan = planRecovery({ chosen: 0, epochs: genesis, window: 2 }, promises(
      ['a', 0, []],
      ['b', 3, [], epochs]
    ))
    expect(plan.chosen).toBe(3)
    expect(plan.required).toEqual([['a', 'd', 'e']])
    expect(plan.satisfied).toBe(false)
  })
})
