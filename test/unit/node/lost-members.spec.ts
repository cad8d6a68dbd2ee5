import { describe, it, expect } from 'vitest'
import { LOST_MEMBER_FORGET_AFTER, LostMembers } from '../../../src/node/lost-members.ts'

/** The reconnect rounds (every `interval` ms from 0 to `until`) at which `id` is dialled. */
function dials (lost: LostMembers, id: string, interval: number, until: number): number[] {
  const out: number[] = []
  for (let now = 0; now <= until; now += interval) {
    const step = lost.step(id, now)
    if (step === 'dial') out.push(now / interval)
    if (step === 'forget') break
  }
  return out
}

describe('node - redialling lost members', () => {
  it('redials at every round first, then backs off to one round in 16', () => {
    const lost = new LostMembers(2_000)
    expect(dials(lost, 'a', 2_000, 200_000)).toEqual([0, 1, 2, 3, 5, 9, 17, 33, 49, 65, 81, 97])
  })

  it('starts over once the member was found again', () => {
    const lost = new LostMembers(1_000)
    expect(dials(lost, 'a', 1_000, 20_000)).toEqual([0, 1, 2, 3, 5, 9, 17])
    lost.found('a')
    expect(lost.size).toBe(0)
    expect(dials(lost, 'a', 1_000, 3_000)).toEqual([0, 1, 2, 3])
  })

  it('forgets a member unreachable for forgetAfter, and only that one', () => {
    const lost = new LostMembers(2_000)
    const steps: string[] = []
    for (let now = 0; now <= LOST_MEMBER_FORGET_AFTER; now += 2_000) {
      steps.push(lost.step('gone', now))
      if (now === LOST_MEMBER_FORGET_AFTER - 4_000) lost.step('late', now)
    }
    expect(steps.at(-1)).toBe('forget')
    expect(steps.slice(0, -1)).not.toContain('forget')
    expect(lost.size).toBe(1)
    expect(lost.step('late', LOST_MEMBER_FORGET_AFTER)).not.toBe('forget')
  })
})
