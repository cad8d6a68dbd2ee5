/**
 * When a backup of our chain that went away is taken for gone (backupAwayMs),
 * and what /status is told meanwhile. The rounds themselves run against real
 * nodes (test/integration/replicate-idle-shortfall.spec.ts); here the clock is
 * Vitest's, so hours pass at once.
 */
import { describe, it, expect, afterEach, beforeEach, vi } from 'vitest'
import { logger } from '@libp2p/logger'
import { IdleRounds } from '../../../src/node/idle-rounds.ts'
import type { IdleRoundsDeps } from '../../../src/node/idle-rounds.ts'
import type { BackupTable } from '../../../src/backup/index.ts'

const table = { chainId: 'A', epoch: 1, active: ['B', 'C'], obsolete: [], height: 1 } as unknown as BackupTable

function rounds (backupAwayMs: number | undefined, others: { connected?: string[], booth?: string[], fails?: string[] } = {}): { idle: IdleRounds, connected: Set<string>, ran: string[][], newTable: (t: BackupTable) => void } {
  let own = table
  const connected = new Set(['B', 'C', 'D', ...(others.connected ?? [])])
  const ran: string[][] = []
  const deps: IdleRoundsDeps = {
    kBackups: 2,
    backupAwayMs,
    log: logger('test:idle-rounds'),
    ownTable: () => own,
    members: () => [...connected],
    isConnected: (peer) => connected.has(peer),
    interrupted: () => [],
    looked: () => true,
    lookUp: async () => {},
    conflict: async () => undefined,
    behind: async () => undefined,
    eligible: async (members) => new Set(members),
    ...(others.booth != null ? { preferred: () => others.booth ?? [] } : {}),
    round: async (participants) => {
      ran.push(participants)
      // B stays; the first other participant that does not fail takes C's place
      const taken = participants.find(p => p !== 'B' && p !== 'C' && !(others.fails ?? []).includes(p))
      const failures = participants.filter(p => (others.fails ?? []).includes(p)).map(peerId => ({ peerId }))
      const outcome = { complete: taken != null, transfers: [{ peerId: 'B' }, ...(taken != null ? [{ peerId: taken }] : [])], failures, epoch: 2, active: ['B', ...(taken != null ? [taken] : [])], obsolete: ['C'] }
      // as VGuardDB's round does: every round of our chain is noted
      idle.noteRound(outcome)
      return outcome
    }
  }
  const idle: IdleRounds = new IdleRounds(deps)
  idle.start()
  idle.noteRound({ complete: true, transfers: [{ peerId: 'B' }, { peerId: 'C' }], failures: [] })
  return { idle, connected, ran, newTable: (t) => { own = t } }
}

describe('node - rounds without a write, a backup away', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }) })
  afterEach(() => { vi.useRealTimers() })

  it('a backup away backupAwayMs is taken for gone and replaced; status counts down meanwhile', async () => {
    const { idle, connected, ran } = rounds(5_000)
    connected.delete('C')
    idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(2_000)
    expect(idle.status()).toEqual({ k: 2, fresh: ['B', 'C'], shortOfK: false, away: [{ peerId: 'C', goneInMs: 3_000 }], paused: [] })
    expect(ran).toEqual([])
    await vi.advanceTimersByTimeAsync(3_000)
    await vi.waitFor(() => { expect(ran).toEqual([['B', 'D']]) })
    expect(idle.status()).toMatchObject({ fresh: ['B', 'D'], shortOfK: false, away: [] })
    await idle.stop()
  })

  it('the chain goes to a member of our next booth first (the next write\'s round offers it to them), else to any member', async () => {
    // E is connected but outside the booth: taken, the next write's round would pass it over and send the chain again
    const inBooth = rounds(1_000, { connected: ['E'], booth: ['B', 'D'] })
    inBooth.connected.delete('C')
    inBooth.idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => { expect(inBooth.ran).toEqual([['B', 'D']]) })
    await inBooth.idle.stop()

    // D, the one booth member that could take it, fails: the next try offers it to every member
    const failing = rounds(1_000, { connected: ['E'], booth: ['B', 'D'], fails: ['D'] })
    failing.connected.delete('C')
    failing.idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => { expect(failing.ran).toEqual([['B', 'D']]) })
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => { expect(failing.ran).toEqual([['B', 'D'], ['B', 'D', 'E']]) })
    expect(failing.idle.status()).toMatchObject({ fresh: ['B', 'E'], shortOfK: false, paused: [{ peerId: 'D' }] })
    await failing.idle.stop()
  })

  it('back before then, it stays a backup: nothing runs', async () => {
    const { idle, connected, ran } = rounds(5_000)
    connected.delete('C')
    idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(4_000)
    connected.add('C')
    idle.peerConnected('C')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(ran).toEqual([])
    expect(idle.status()).toMatchObject({ fresh: ['B', 'C'], shortOfK: false, away: [] })
    await idle.stop()
  })

  it('backupAwayMs 0: a backup away for days is shown away, never replaced', async () => {
    const { idle, connected, ran, newTable } = rounds(0)
    connected.delete('C')
    idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(3 * 24 * 3_600_000)
    expect(ran).toEqual([])
    expect(idle.status()).toEqual({ k: 2, fresh: ['B', 'C'], shortOfK: false, away: [{ peerId: 'C', goneInMs: null }], paused: [] })
    // back, it is no longer away
    idle.peerConnected('C')
    expect(idle.status().away).toEqual([])
    // away again, then replaced by a write's round: no backup away any more
    idle.peerDisconnected('C')
    expect(idle.status().away).toEqual([{ peerId: 'C', goneInMs: null }])
    newTable({ ...table, epoch: 2, active: ['B', 'D'], obsolete: ['C'] })
    expect(idle.status().away).toEqual([])
    await idle.stop()
  })
})
