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

interface Others {
  connected?: string[]
  /** Of B, C and D (all connected otherwise). */
  disconnected?: string[]
  booth?: string[]
  fails?: string[]
  /** The transfer notes VGuardDB keeps (a crash's, or the partial copies a round left to resume). */
  notes?: string[]
  /** A restarted vehicle: what its record says the table's round left fresh, and its chain's tip (and no table: none signed yet); no round of this run yet. */
  restart?: { fresh?: string[], tip: number, noTable?: true }
}

async function rounds (backupAwayMs: number | undefined, others: Others = {}): Promise<{ idle: IdleRounds, connected: Set<string>, ran: string[][], newTable: (t: BackupTable) => void }> {
  let own: BackupTable | undefined = others.restart?.noTable === true ? undefined : table
  const connected = new Set(['B', 'C', 'D', ...(others.connected ?? [])].filter(p => !(others.disconnected ?? []).includes(p)))
  const ran: string[][] = []
  const deps: IdleRoundsDeps = {
    kBackups: 2,
    backupAwayMs,
    log: logger('test:idle-rounds'),
    ownTable: () => own,
    ownFresh: () => others.restart == null ? ['B', 'C'] : others.restart.fresh,
    ownTipHeight: async () => others.restart?.tip ?? 1,
    members: () => [...connected],
    isConnected: (peer) => connected.has(peer),
    interrupted: () => others.notes ?? [],
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
      // short of k, C's older copy is kept, as VGuardDB's round keeps one
      const outcome = { complete: taken != null, transfers: [{ peerId: 'B' }, ...(taken != null ? [{ peerId: taken }] : [])], failures, epoch: 2, active: ['B', taken ?? 'C'], obsolete: taken != null ? ['C'] : [] }
      // as VGuardDB's round does: every round of our chain is noted, and its table adopted
      own = { ...table, epoch: (own?.epoch ?? 0) + 1, active: outcome.active }
      idle.noteRound(outcome)
      return outcome
    }
  }
  const idle: IdleRounds = new IdleRounds(deps)
  idle.start()
  if (others.restart != null) await idle.resume()
  else idle.noteRound({ complete: true, transfers: [{ peerId: 'B' }, { peerId: 'C' }], failures: [] })
  return { idle, connected, ran, newTable: (t) => { own = t } }
}

describe('node - rounds without a write, a backup away', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }) })
  afterEach(() => { vi.useRealTimers() })

  it('a backup away backupAwayMs is taken for gone and replaced; status counts down meanwhile', async () => {
    const { idle, connected, ran } = await rounds(5_000)
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
    const inBooth = await rounds(1_000, { connected: ['E'], booth: ['B', 'D'] })
    inBooth.connected.delete('C')
    inBooth.idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => { expect(inBooth.ran).toEqual([['B', 'D']]) })
    await inBooth.idle.stop()

    // D, the one booth member that could take it, fails: the next try offers it to every member
    const failing = await rounds(1_000, { connected: ['E'], booth: ['B', 'D'], fails: ['D'] })
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
    const { idle, connected, ran } = await rounds(5_000)
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
    const { idle, connected, ran, newTable } = await rounds(0)
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

  it('a candidate that failed after its transfer began is tried again after its pause, not every few seconds (its partial copy noted to resume)', async () => {
    // C leaves for good; D, the one candidate, takes part of the chain and fails: the round keeps its copy noted
    const notes: string[] = []
    const { idle, connected, ran } = await rounds(1_000, { fails: ['D'], notes })
    connected.delete('C')
    idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => { expect(ran).toEqual([['B', 'D']]) })
    notes.push('D')
    // those notes are no crash's: they made a round (and an epoch) every 1 to 30 s for as long as D kept failing (a review)
    await vi.advanceTimersByTimeAsync(90_000)
    expect(ran).toHaveLength(1)
    expect(idle.status()).toMatchObject({ fresh: ['B'], shortOfK: true, paused: [{ peerId: 'D' }] })
    // its pause over (2 minutes), it is tried again
    await vi.advanceTimersByTimeAsync(60_000)
    await vi.waitFor(() => { expect(ran).toHaveLength(2) })
    await idle.stop()
  })

  it('a backup taken for gone that no round could replace stays listed away, gone in 0, while the table names it', async () => {
    const { idle, connected, ran } = await rounds(1_000, { fails: ['D'] })
    connected.delete('C')
    idle.peerDisconnected('C')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => { expect(ran).toHaveLength(1) })
    // it vanished from /status, though still named and still away (a review)
    expect(idle.status()).toMatchObject({ fresh: ['B'], shortOfK: true, away: [{ peerId: 'C', goneInMs: 0 }] })
    connected.add('C')
    idle.peerConnected('C')
    expect(idle.status().away).toEqual([])
    await idle.stop()
  })

  it('a restarted vehicle counts fresh only the backups its last round brought to the tip, not the older copies its table kept', async () => {
    // the table names B and C; its round (short of k) refreshed only B and kept C's older copy
    const kept = await rounds(60_000, { restart: { fresh: ['B'], tip: 1 }, disconnected: ['C'] })
    // C, away, is shown so, though it is not counted fresh
    expect(kept.idle.status()).toMatchObject({ fresh: ['B'], shortOfK: true, away: [{ peerId: 'C', goneInMs: 60_000 }] })
    // made up without a write: D could be a second fresh backup
    await vi.waitFor(async () => { await vi.advanceTimersByTimeAsync(1_000); expect(kept.ran).toEqual([['B', 'D']]) })
    await kept.idle.stop()

    // its round refreshed both: nothing to make up
    const whole = await rounds(60_000, { restart: { fresh: ['B', 'C'], tip: 1 } })
    expect(whole.idle.status()).toMatchObject({ fresh: ['B', 'C'], shortOfK: false })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(whole.ran).toEqual([])
    await whole.idle.stop()

    // our chain went past the table (a block whose round never signed one: a crash), or the record is not the table's: none is fresh
    for (const restart of [{ fresh: ['B', 'C'], tip: 2 }, { tip: 1 }, { tip: 1, noTable: true as const }]) {
      const behind = await rounds(60_000, { restart })
      expect(behind.idle.status(), JSON.stringify(restart)).toMatchObject({ fresh: [], shortOfK: true })
      await behind.idle.stop()
    }
  })
})
