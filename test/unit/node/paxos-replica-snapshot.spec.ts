/**
 * A shared-chain replica catching up by snapshot, driven message by message
 * (real LevelDB for its consensus state, a memory chain store). Found by a
 * crash test: the leader re-sends its snapshot while the replica still
 * fetches the chain, the repeat was installed one slot further, and the
 * replica skipped that slot's block for good (a fork at every later height).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tipOf } from '../../../src/chain/index.ts'
import type { Message } from '../../../src/consensus/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import type { ChainReplica } from '../../../src/node/paxos-replica.ts'
import type { ChainMessage } from '../../../src/protocols/paxos/index.ts'
import { encodeBatch, encodeWrite } from '../../../src/node/batch.ts'
import { chainOf, enc } from '../storage/helpers.ts'
import { waitFor } from '../../utils/wait.ts'
import { BOOTH, SHARED, openShared } from './helpers/shared-replica.ts'

const BALLOT = { round: 1, proposer: 'n1' }

describe('node - a shared-chain replica catching up by snapshot', () => {
  let db: NodeDatabase | undefined
  let dir: string | undefined
  let replica: ChainReplica | undefined
  afterEach(async () => {
    await replica?.close()
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('snapshots of a peer it takes none from do not push out the point of the one it takes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-replica-'))
    db = await openDatabase(dir)
    const store = new MemoryChainStore()
    const chain = chainOf(SHARED, 3)
    let fetched = 0
    replica = await openShared(db, store, [], async (_peer, height) => {
      fetched = height
      await store.appendMany(chain.slice(0, height))
    })
    replica.step({ type: 'heartbeat', from: 'n1', to: 'n3', ballot: BALLOT, commit: 3 })
    replica.step({ type: 'snapshot', from: 'n1', to: 'n3', slot: 3, booths: [{ slot: 1, members: BOOTH }] }, { height: 3, hash: chain[2].hash })
    // in the same turn, before the replica installs it: 64 made-up ones of a member that is no leader
    for (let slot = 10; slot < 74; slot++) {
      replica.step({ type: 'snapshot', from: 'n9', to: 'n3', slot, booths: [{ slot: 1, members: BOOTH }] }, { height: slot, hash: chain[0].hash })
    }
    await waitFor(() => replica?.status().applied === 3, { message: 'the leader\'s snapshot installed' })
    expect(fetched).toBe(3)
  })

  it('a snapshot repeated while the chain is fetched does not skip the next decided block', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-replica-'))
    db = await openDatabase(dir)
    const store = new MemoryChainStore()
    // the leader's chain: slots 1..3 made blocks 1..3, then compacted
    const chain = chainOf(SHARED, 3)
    let releaseFetch = (): void => {}
    const fetching = new Promise<void>(resolve => { releaseFetch = resolve })
    let fetches = 0
    const sent: ChainMessage[] = []
    replica = await openShared(db, store, sent, async (_peer, height) => {
      fetches++
      await fetching
      const tip = await store.tip(SHARED)
      await store.appendMany(chain.slice(tip.height, height))
    })

    const snapshot: Message = { type: 'snapshot', from: 'n1', to: 'n3', slot: 3, booths: [{ slot: 1, members: BOOTH }] }
    const point = { height: 3, hash: chain[2].hash }
    replica.step({ type: 'heartbeat', from: 'n1', to: 'n3', ballot: BALLOT, commit: 3 })
    replica.step(snapshot, point)
    await waitFor(() => fetches === 1, { message: 'the replica fetches the snapshot' })
    // the leader repeats it while the fetch is still running
    replica.step(snapshot, point)
    await new Promise(resolve => setImmediate(resolve))
    releaseFetch()
    await waitFor(() => replica?.status().applied === 3, { message: 'snapshot installed' })
    expect(tipOf((await store.getBlock(SHARED, 3)) ?? chain[0])).toEqual(tipOf(chain[2]))

    // slot 4 is decided next: its block must be built at height 4
    const data = encodeBatch({ proposer: 'n1', ballot: BALLOT, timestamp: 1, payloads: [encodeWrite([{ key: 'gps/4', value: enc.encode('4') }]).payload] })
    replica.step({ type: 'decided', from: 'n1', to: 'n3', entries: [{ slot: 4, value: { kind: 'data', id: 'w4', data }, booth: BOOTH }], commit: 4 })
    await waitFor(async () => (await store.tip(SHARED)).height === 4, { timeout: 5_000, message: 'block 4 applied' })
    expect((await store.getBlock(SHARED, 4))?.header.prevHash).toEqual(chain[2].hash)
    expect((await store.get(SHARED, 'gps/4'))?.value).toEqual(enc.encode('4'))

    // a newcomer asks this replica (say, leading now) from slot 1: its log starts at slot 3, so it
    // answers with a snapshot there, which must say where the chain stood (soak: a snapshot without
    // its point left the newcomer with no shared chain for good)
    replica.step({ type: 'catchup', from: 'n4', to: 'n3', slot: 1 })
    await waitFor(() => sent.some(m => m.message.type === 'snapshot' && m.message.to === 'n4'), { message: 'a snapshot for n4' })
    const answer = sent.find(m => m.message.type === 'snapshot' && m.message.to === 'n4')
    expect(answer?.message).toMatchObject({ slot: 3 })
    expect(answer?.point).toEqual({ height: 3, hash: chain[2].hash })
  })

  it('caughtUp waits until what the leader said was decided is decided here, when the booth is the current one; else until its deadline', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-replica-'))
    db = await openDatabase(dir)
    const store = new MemoryChainStore()
    const chain = chainOf(SHARED, 3)
    let clock = 0
    replica = await openShared(db, store, [], async (_peer, height) => {
      const tip = await store.tip(SHARED)
      await store.appendMany(chain.slice(tip.height, height))
    }, () => clock)
    // a replica just opened knows no leader yet: it waits for one, then for what that one says was decided
    let caughtUp = false
    const waiting = replica.caughtUp(60_000).then(() => { caughtUp = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(caughtUp).toBe(false)
    // the leader says slot 3 is decided; the booth moved on meanwhile (n2 left, n4 came)
    replica.step({ type: 'heartbeat', from: 'n1', to: 'n3', ballot: BALLOT, commit: 3 })
    await waitFor(() => replica?.status().leader === 'n1', { message: 'n3 follows n1' })
    expect(replica.status().booth).toEqual(BOOTH)
    await new Promise(resolve => setImmediate(resolve))
    expect(caughtUp).toBe(false)
    const current = ['n1', 'n3', 'n4']
    replica.step({ type: 'snapshot', from: 'n1', to: 'n3', slot: 3, booths: [{ slot: 1, members: BOOTH }, { slot: 3, members: current }] }, { height: 3, hash: chain[2].hash })
    await waiting
    expect(replica.status()).toMatchObject({ decided: 3, booth: current })
    // caught up, with a leader: nothing to wait for
    await replica.caughtUp(60_000)

    // heard of slot 5, and nothing comes: the wait ends at its deadline
    replica.step({ type: 'heartbeat', from: 'n1', to: 'n3', ballot: BALLOT, commit: 5 })
    caughtUp = false
    const timedOut = replica.caughtUp(1_000).then(() => { caughtUp = true })
    replica.tick()
    await new Promise(resolve => setImmediate(resolve))
    expect(caughtUp).toBe(false)
    clock += 1_000
    replica.tick()
    await timedOut
    expect(replica.status().decided).toBe(3)
  })
})
