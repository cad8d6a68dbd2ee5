import { describe, it, expect } from 'vitest'
import { BackupShortfall, FAILED_CANDIDATE_PAUSE_MS, MAX_FAILED_CANDIDATE_PAUSE_MS } from '../../../src/node/backup-shortfall.ts'

const anyRoom = (): boolean => true

function at (start = 0): { now: () => number, advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => { t += ms } }
}

describe('node - backup shortfall', () => {
  it('no shortfall until a round falls short, and none once one completes', () => {
    const s = new BackupShortfall(at().now)
    expect(s.short).toBe(false)
    expect(s.candidates(['B', 'C'], anyRoom)).toEqual([])
    s.noteRound({ complete: false, transfers: [{ peerId: 'B' }], failures: [{ peerId: 'C' }] })
    expect(s.short).toBe(true)
    s.noteRound({ complete: true, transfers: [{ peerId: 'B' }, { peerId: 'D' }], failures: [] })
    expect(s.short).toBe(false)
    expect(s.candidates(['B', 'C', 'D', 'E'], anyRoom)).toEqual([])
  })

  it('a member the last round left fresh, or one that failed lately, is no candidate; one it never tried is', () => {
    const s = new BackupShortfall(at().now)
    s.noteRound({ complete: false, transfers: [{ peerId: 'B' }], failures: [{ peerId: 'C' }] })
    expect(s.candidates(['B', 'C'], anyRoom)).toEqual([])
    expect(s.candidates(['B', 'C', 'D'], anyRoom)).toEqual(['D'])
  })

  it('shows whom it counts fresh, whether that is short, and how long each failed member is paused', () => {
    const clock = at()
    const s = new BackupShortfall(clock.now)
    expect(s.view()).toEqual({ short: false, fresh: [], paused: [] })
    s.noteRound({ complete: false, transfers: [{ peerId: 'B' }], failures: [{ peerId: 'C' }, { peerId: 'D' }] })
    clock.advance(1_000)
    s.peerConnected('D')
    expect(s.view()).toEqual({ short: true, fresh: ['B'], paused: [{ peerId: 'C', retryInMs: FAILED_CANDIDATE_PAUSE_MS - 1_000 }] })
    clock.advance(FAILED_CANDIDATE_PAUSE_MS)
    expect(s.view().paused).toEqual([])
    s.backupGone('B')
    expect(s.view()).toMatchObject({ short: true, fresh: [] })
  })

  it('a failed member is a candidate again once it reconnects, or once the pause is over', () => {
    const clock = at()
    const s = new BackupShortfall(clock.now)
    s.noteRound({ complete: false, transfers: [], failures: [{ peerId: 'C' }, { peerId: 'D' }] })
    s.peerConnected('C')
    expect(s.candidates(['C', 'D'], anyRoom)).toEqual(['C'])
    clock.advance(FAILED_CANDIDATE_PAUSE_MS - 1)
    expect(s.candidates(['C', 'D'], anyRoom)).toEqual(['C'])
    clock.advance(1)
    expect(s.candidates(['C', 'D'], anyRoom)).toEqual(['C', 'D'])
  })

  it('a member that advertises too little room is no candidate', () => {
    const s = new BackupShortfall(at().now)
    s.noteRound({ complete: false, transfers: [], failures: [] })
    expect(s.candidates(['B', 'C'], (peer) => peer === 'C')).toEqual(['C'])
  })

  it('a later round that refreshed a member that had failed counts it fresh, not failed', () => {
    const s = new BackupShortfall(at().now)
    s.noteRound({ complete: false, transfers: [], failures: [{ peerId: 'C' }] })
    s.noteRound({ complete: false, transfers: [{ peerId: 'C' }], failures: [{ peerId: 'D' }] })
    expect(s.candidates(['C', 'D', 'E'], anyRoom)).toEqual(['E'])
    // a member refreshed later and failed after that is failed again
    s.noteRound({ complete: false, transfers: [{ peerId: 'E' }], failures: [{ peerId: 'C' }] })
    expect(s.candidates(['C', 'D', 'E'], anyRoom)).toEqual([])
  })

  it('a shortfall forgotten needs another round short of k to count again', () => {
    const s = new BackupShortfall(at().now)
    s.noteRound({ complete: false, transfers: [], failures: [] })
    s.forget()
    expect(s.short).toBe(false)
    expect(s.candidates(['B'], anyRoom)).toEqual([])
    s.noteRound({ complete: false, transfers: [], failures: [] })
    expect(s.candidates(['B'], anyRoom)).toEqual(['B'])
  })

  it('a fresh backup gone makes a complete round short; a vehicle that was no fresh backup does not', () => {
    const s = new BackupShortfall(at().now)
    s.noteRound({ complete: true, transfers: [{ peerId: 'B' }, { peerId: 'C' }], failures: [] })
    expect(s.backupGone('D')).toBe(false)
    expect(s.short).toBe(false)
    expect(s.backupGone('C')).toBe(true)
    expect(s.short).toBe(true)
    // C may come back and take it again; B holds it already
    expect(s.candidates(['B', 'C', 'D'], anyRoom)).toEqual(['C', 'D'])
    // gone twice is counted once
    expect(s.backupGone('C')).toBe(false)
    s.noteRound({ complete: true, transfers: [{ peerId: 'B' }, { peerId: 'D' }], failures: [{ peerId: 'C' }] })
    expect(s.short).toBe(false)
  })

  it('a member that fails again waits twice as long each time, up to the longest pause; reconnected, it is counted on at once', () => {
    const clock = at()
    const s = new BackupShortfall(clock.now)
    const fail = (): void => { s.noteRound({ complete: false, transfers: [], failures: [{ peerId: 'C' }] }) }
    fail()
    clock.advance(FAILED_CANDIDATE_PAUSE_MS)
    expect(s.candidates(['C'], anyRoom)).toEqual(['C'])
    fail()
    clock.advance(FAILED_CANDIDATE_PAUSE_MS)
    expect(s.candidates(['C'], anyRoom)).toEqual([])
    clock.advance(FAILED_CANDIDATE_PAUSE_MS)
    expect(s.candidates(['C'], anyRoom)).toEqual(['C'])
    for (let i = 0; i < 10; i++) fail()
    clock.advance(MAX_FAILED_CANDIDATE_PAUSE_MS - 1)
    expect(s.candidates(['C'], anyRoom)).toEqual([])
    clock.advance(1)
    expect(s.candidates(['C'], anyRoom)).toEqual(['C'])
    fail()
    s.peerConnected('C')
    expect(s.candidates(['C'], anyRoom)).toEqual(['C'])
  })

  it('a table of the previous run says who is fresh until a round of this run says more', () => {
    const s = new BackupShortfall(at().now)
    s.assumeFromTable(['B'], true)
    expect(s.carriedOver).toBe(true)
    expect(s.candidates(['B', 'C'], anyRoom)).toEqual(['C'])
    s.noteRound({ complete: false, transfers: [{ peerId: 'C' }], failures: [] })
    expect(s.carriedOver).toBe(false)
    // a round noted: the table says nothing more
    s.assumeFromTable(['B'], true)
    expect(s.candidates(['B', 'C'], anyRoom)).toEqual(['B'])
    // not short, but its backups may go
    const t = new BackupShortfall(at().now)
    t.assumeFromTable(['B', 'C'], false)
    expect(t.short).toBe(false)
    expect(t.backupGone('C')).toBe(true)
    expect(t.carriedOver).toBe(true)
  })
})
