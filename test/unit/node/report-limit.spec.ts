import { describe, it, expect } from 'vitest'
import { ReportLimit } from '../../../src/node/report-limit.ts'

describe('node - refusals said at most so often in all', () => {
  it('says the first ten of a minute, counts the rest, and says the count once the minute is over', () => {
    let now = 0
    const counts: number[] = []
    const limit = new ReportLimit({ now: () => now, onSuppressed: (n) => { counts.push(n) } })
    const said = Array.from({ length: 25 }, () => limit.allow()).filter(Boolean).length
    expect(said).toBe(10)
    expect(counts).toEqual([])
    now += 59_999
    expect(limit.allow()).toBe(false)
    now += 1
    expect(limit.allow()).toBe(true)
    expect(counts).toEqual([16])
    // a quiet minute says nothing
    now += 60_000
    expect(limit.allow()).toBe(true)
    expect(counts).toEqual([16])
  })
})
