/**
 * Three shared-chain replicas wired through an in-memory router (real LevelDB
 * for their consensus state, memory chain stores), driven tick by tick. A
 * leader that took a write it could not propose yet (no majority connected)
 * loses the lead to another candidate: the write must come back at once with
 * NotProposerError naming the new leader, so the caller forwards it there,
 * not wait out its deadline and fail as if no quorum existed (found by the
 * permissioned shared-chain test). One it proposed comes back as soon as its
 * slot is decided with another value (a probe's writer waited out its
 * deadline for CommitTimeoutError after the leader it wrote to was taken over).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { encodeWrite } from '../../../src/node/batch.ts'
import { enc } from '../storage/helpers.ts'
import { CANDIDATES, ThreeReplicas } from './helpers/three-replicas.ts'
import type { ChainReplica } from '../../../src/node/paxos-replica.ts'

describe('node - a shared-chain leader that loses the lead', () => {
  const set = new ThreeReplicas()
  afterEach(async () => { await set.close() })

  it('hands back the writes it had not proposed, naming the new leader', async () => {
    const { n1, cut, connected, tick, tickUntil, newLeader } = await set.open()
    // n1 sees no majority now: a write it takes waits in its buffer
    connected.n1 = []
    const write = encodeWrite([{ key: 'k', value: enc.encode('v') }])
    let outcome: Error | undefined
    const pending = n1.submit(write, { timeout: 60_000, waitForReplication: false }).then(
      () => { throw new Error('the write committed on a leader without a majority') },
      (err: Error) => { outcome = err })
    await tick()
    expect(outcome).toBeUndefined()
    expect(n1.status().pending).toBe(1)

    // n1 falls silent to the others
    cut.add('n1>n2')
    cut.add('n1>n3')
    // another candidate takes over, and its heartbeats reach n1
    await tickUntil(() => newLeader() != null && n1.leader() === newLeader(), 'another member leads and n1 follows it')
    // at once: its deadline is a minute away
    await tickUntil(() => outcome != null, 'the write comes back')
    await pending
    expect(outcome?.name).toBe('NotProposerError')
    expect((outcome as Error & { leader?: string }).leader).toBe(newLeader())
    expect(n1.status().pending).toBe(0)
  })

  it('says a write it had not proposed failed because it stopped leading, when its deadline passes in the tick it steps down', async () => {
    // n1's clock reaches the write's deadline in the very tick it steps down (a check-quorum tick: it heard
    // no majority for a window), before the pump hands its buffered writes back
    const watched: { n1?: ChainReplica } = {}
    const clock = (id: string) => () => performance.now() + (id === 'n1' && watched.n1 != null && !watched.n1.isLeader() ? 3_600_000 : 0)
    const { n1, connected, cut, tickUntil } = await set.open({ clock })
    watched.n1 = n1
    // n1 sees no majority: the write waits in its buffer
    connected.n1 = []
    let outcome: Error | undefined
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('v') }]), { timeout: 60_000, waitForReplication: false }).then(
      () => { throw new Error('the write committed on a leader without a majority') },
      (err: Error) => { outcome = err })
    // n1 hears nobody: its heartbeats still keep the others from electing one of their own
    cut.add('n2>n1')
    cut.add('n3>n1')
    await tickUntil(() => outcome != null, 'the write comes back')
    expect(n1.isLeader()).toBe(false)
    expect(outcome?.name).toBe('NoQuorumError')
    // it said 'phase 1 has not completed (no majority of the booth answered)': n1 had led, phase 1 long done (2026-12-03)
    expect(outcome?.message).toBe('write to shared not proposed: this node stopped leading the chain before proposing it, and no leader is known yet (no majority of its booth is connected); nothing was written')
    expect(n1.status().pending).toBe(0)
  })

  it('keeps a write it proposed when the candidates change: it may be decided yet, and a retry could commit it twice', async () => {
    const { n1, cut, tick, tickUntil, newLeader } = await set.open()
    // n1 proposes the write, but its accepts reach no one
    cut.add('n1>n2')
    cut.add('n1>n3')
    let outcome: Error | undefined
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('v') }]), { timeout: 60_000, waitForReplication: false }).then(
      () => { throw new Error('the write committed without its accepts delivered') },
      (err: Error) => { outcome = err })
    await tickUntil(() => n1.status().outstanding === 1, 'the write is proposed')
    await tickUntil(() => newLeader() != null && n1.leader() === newLeader(), 'another member leads and n1 follows it')
    const leader = n1.leader()
    // a new candidate's hello changes the list in place: nothing is rebuilt, the proposal stays where it is
    n1.updateElection({ mode: 'elected', candidates: [...CANDIDATES, { id: 'n4', priority: 0 }] })
    for (let i = 0; i < 4; i++) await tick()
    expect(outcome).toBeUndefined()
    expect(n1.status()).toMatchObject({ outstanding: 1, pending: 0 })
    expect(n1.leader()).toBe(leader)
    expect(n1.candidates()).toContain('n4')
  })

  it('hands back a write it proposed once the new leader fills its slot with another: it can never be chosen', async () => {
    const { n1, byId, cut, tickUntil, newLeader } = await set.open()
    cut.add('n1>n2')
    cut.add('n1>n3')
    let outcome: Error | undefined
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('v1') }]), { timeout: 60_000, waitForReplication: false }).then(
      () => { throw new Error('the write committed without its accepts delivered') },
      (err: Error) => { outcome = err })
    await tickUntil(() => n1.status().outstanding === 1, 'the write is proposed')
    await tickUntil(() => newLeader() != null && n1.leader() === newLeader(), 'another member leads and n1 follows it')
    const leader = byId.get(newLeader() as string)
    // the new leader commits a write of its own in the slot n1's proposal had
    const other = await leader?.submit(encodeWrite([{ key: 'k', value: enc.encode('v2') }]), { timeout: 60_000, waitForReplication: false })
    expect(other?.height).toBe(1)
    // at once, not at its deadline a minute away: n1 learns the slot's value and forwards its writer to the leader
    await tickUntil(() => outcome != null, 'the write comes back')
    expect(outcome?.name).toBe('NotProposerError')
    expect((outcome as Error & { leader?: string }).leader).toBe(newLeader())
    expect(n1.status()).toMatchObject({ outstanding: 0, pending: 0 })
  })
})
