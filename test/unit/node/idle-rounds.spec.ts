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

function rounds (backupAwayMs: number | undefined): { idle: IdleRounds, connected: Set<string>, ran: string[][], newTable: (t: BackupTable) => void } {
  let own = table
  const connected = new Set(['B', 'C', 'D'])
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
    round: async (participants) => {
      ran.push(participants)
      const outcome = { complete: true, transfers: [{ peerId: 'B' }, { peerId: 'D' }], failures: [], epoch: 2, active: ['B', 'D'], obsolete: ['C'] }
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
