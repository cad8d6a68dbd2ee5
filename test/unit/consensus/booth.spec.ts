import { describe, expect, it } from 'vitest'
import { addEpoch, boothFor, epochsAt, hasMajority, pruneEpochs, quorumSize, validateBooth } from '../../../src/consensus/booth.ts'
import { compareBallots } from '../../../src/consensus/ballot.ts'
import { electionTimeout, outranks, rankOf } from '../../../src/consensus/election.ts'
import { InvalidBoothError } from '../../../src/consensus/index.ts'

describe('consensus - booths, ballots and election timing', () => {
  it('finds the booth of a slot from its epochs', () => {
    let epochs = [{ slot: 1, members: ['a', 'b', 'c'] }]
    epochs = addEpoch(epochs, { slot: 9, members: ['c', 'd'] })
    epochs = addEpoch(epochs, { slot: 5, members: ['b', 'c', 'd'] })
    expect(epochs.map(e => e.slot)).toEqual([1, 5, 9])
    expect(boothFor(epochs, 4)).toEqual(['a', 'b', 'c'])
    expect(boothFor(epochs, 5)).toEqual(['b', 'c', 'd'])
    expect(boothFor(epochs, 100)).toEqual(['c', 'd'])
    expect(() => boothFor(epochs, 0)).toThrow(InvalidBoothError)
    expect(epochsAt(epochs, 3, 2).map(e => e.slot)).toEqual([1, 5])
    expect(pruneEpochs(epochs, 6).map(e => e.slot)).toEqual([5, 9])
    expect(pruneEpochs(epochs, 4).map(e => e.slot)).toEqual([1, 5, 9])
  })

  it('counts majorities', () => {
    expect([1, 2, 3, 4, 5].map(n => quorumSize(Array.from({ length: n }, (_, i) => String(i))))).toEqual([1, 2, 2, 3, 3])
    expect(hasMajority(['a', 'b', 'c', 'd'], new Set(['a', 'b', 'x']))).toBe(false)
    expect(hasMajority(['a', 'b', 'c', 'd'], new Set(['a', 'b', 'd']))).toBe(true)
  })

  it.each([[[]], [['a', 'a']], [['']], ['a'], [[1]]])('refuses booth %j', (bad) => {
    expect(() => validateBooth(bad)).toThrow(InvalidBoothError)
  })

  it('orders ballots by round, then proposer', () => {
    expect(compareBallots({ round: 2, proposer: 'a' }, { round: 1, proposer: 'z' })).toBeGreaterThan(0)
    expect(compareBallots({ round: 2, proposer: 'a' }, { round: 2, proposer: 'b' })).toBeLessThan(0)
    expect(compareBallots({ round: 2, proposer: 'b' }, { round: 2, proposer: 'b' })).toBe(0)
  })

  it('ranks candidates by priority, then greater peer id (Bully)', () => {
    const candidates = [{ id: 'a', priority: 1 }, { id: 'b', priority: 5 }, { id: 'c', priority: 1 }]
    expect(rankOf(candidates, 'b')).toBe(0)
    expect(rankOf(candidates, 'c')).toBe(1)
    expect(rankOf(candidates, 'a')).toBe(2)
    expect(rankOf(candidates, 'z')).toBe(-1)
    expect(outranks(candidates, 'c', 'a')).toBe(true)
    expect(outranks(candidates, 'a', 'z')).toBe(true)
    expect(outranks(candidates, 'z', 'a')).toBe(false)
  })

  it('gives lower ranks longer, non-overlapping election timeouts', () => {
    const t = (rank: number, r: number): number => electionTimeout({ electionTicks: 10, rankTicks: 10, jitterTicks: 5, rank, random: () => r })
    expect(t(0, 0)).toBe(10)
    expect(t(0, 0.9999)).toBe(14)
    expect(t(1, 0)).toBe(20)
    expect(t(2, 0.5)).toBe(32)
  })
})
