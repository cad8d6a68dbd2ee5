/**
 * The rule for shared-chain members that lost their database (the driver
 * applies it; the consensus simulation's wipe nemesis replays it over
 * faults: test/unit/consensus/utils/forgetful-driver.ts).
 */
import { describe, it, expect } from 'vitest'
import { ForgetfulPeers, MAX_ANNOUNCED } from '../../../src/node/forgetful-peers.ts'

describe('node - forgetful peers', () => {
  it('holds back a member showing another incarnation: its votes and requests, not what teaches decisions', () => {
    const f = new ForgetfulPeers()
    expect(f.notice('w', 'i1', 'i1')).toBe(false)
    expect(f.notice('w', 'i2', 'i1')).toBe(true)
    expect(f.notice('w', 'i2', 'i1')).toBe(false)
    expect(f.peers()).toEqual(['w'])
    for (const type of ['promise', 'prePromise', 'accepted', 'heartbeatAck', 'nack', 'prepare', 'prePrepare', 'accept', 'heartbeat']) expect(f.admits('w', type), type).toBe(false)
    for (const type of ['catchup', 'decided', 'snapshot']) expect(f.admits('w', type), type).toBe(true)
    expect(f.admits('other', 'promise')).toBe(true)
    expect(f.heldBack()).toEqual([{ peer: 'w', incarnation: 'i2' }])
  })

  it('leading, counts it again after a leader read begun after it was noticed, not one begun before', () => {
    const f = new ForgetfulPeers()
    f.notice('a', 'a2', 'a1')
    const first = f.startConfirmation()
    expect(first).toBeDefined()
    // one read at a time
    expect(f.startConfirmation()).toBeUndefined()
    f.notice('b', 'b2', 'b1')
    expect(f.confirmed(first as number, 40)).toEqual([{ peer: 'a', incarnation: 'a2', slot: 40 }])
    // b was noticed while that read ran: it needs one of its own
    expect(f.peers()).toEqual(['b'])
    const second = f.startConfirmation() as number
    f.confirmationFailed(second)
    expect(f.peers()).toEqual(['b'])
    const third = f.startConfirmation() as number
    expect(f.confirmed(third, 41).map(r => r.peer)).toEqual(['b'])
    expect(f.announcements()).toEqual([{ peer: 'a', incarnation: 'a2', slot: 40 }, { peer: 'b', incarnation: 'b2', slot: 41 }])
    expect(f.startConfirmation()).toBeUndefined()
  })

  it('following, counts it again once a member announced so and this node decided that far too', () => {
    const f = new ForgetfulPeers()
    // heard before noticing: kept
    f.hear('m', [{ peer: 'w', incarnation: 'i2', slot: 30 }, { peer: 'w', incarnation: 'i9', slot: 1 }])
    f.hear('n', [{ peer: 'w', incarnation: 'i2', slot: 35 }])
    f.notice('w', 'i2', 'i1')
    expect(f.caughtUp(29)).toEqual([])
    // behind: catch up from the member that announced the lowest slot
    expect(f.behind(29)).toEqual([{ from: 'm', slot: 30 }])
    expect(f.caughtUp(30)).toEqual([{ peer: 'w', incarnation: 'i2', slot: 30 }])
    expect(f.holds('w')).toBe(false)
  })

  it('holds back a member another holds back, also one it never met, unless it counted that incarnation again itself', () => {
    const f = new ForgetfulPeers([{ peer: 'x', incarnation: 'x2', slot: 5 }])
    expect(f.heldElsewhere('x', 'x2')).toBe(false)
    expect(f.heldElsewhere('w', 'i2')).toBe(true)
    expect(f.heldElsewhere('w', 'i3')).toBe(false)
    expect(f.heldBack()).toEqual([{ peer: 'w', incarnation: 'i2' }])
    // what it then learns of the member's database is the same one: held already
    expect(f.notice('w', 'i2', 'i2')).toBe(false)
    expect(f.holds('w')).toBe(true)
  })

  it('announces the latest readmissions only, one per member', () => {
    const f = new ForgetfulPeers()
    for (let i = 0; i < MAX_ANNOUNCED + 4; i++) {
      f.notice(`p${i}`, 'new', 'old')
      f.confirmed(f.startConfirmation() as number, i)
    }
    f.notice('p19', 'newer', 'new')
    f.confirmed(f.startConfirmation() as number, 99)
    const list = f.announcements()
    expect(list).toHaveLength(MAX_ANNOUNCED)
    expect(list.filter(r => r.peer === 'p19')).toEqual([{ peer: 'p19', incarnation: 'newer', slot: 99 }])
    expect(list.some(r => r.peer === 'p0')).toBe(false)
  })

  it('forgets what it heard and announced when its shared chain is another one', () => {
    const f = new ForgetfulPeers([{ peer: 'x', incarnation: 'x2', slot: 5 }])
    f.hear('m', [{ peer: 'w', incarnation: 'i2', slot: 3 }])
    f.resetChain()
    f.notice('w', 'i2', 'i1')
    expect(f.caughtUp(100)).toEqual([])
    expect(f.announcements()).toEqual([])
    expect(f.holds('w')).toBe(true)
  })
})
