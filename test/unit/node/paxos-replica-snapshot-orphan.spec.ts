/**
 * One shared-chain replica driven message by message. A write it proposed
 * as leader whose slot it learns only through a snapshot (it was deposed,
 * and caught up from the new leader's compacted log) has a fate it cannot
 * learn: blocks do not carry write ids. Its writer hears CommitTimeoutError
 * at once, a keyed retry is refused rather than proposed again (that could
 * commit it twice), and the proposal no longer holds the pipeline: kept in
 * flight, it took the only slot for small writes once the node led again,
 * and no write committed there (found in review).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Message } from '../../../src/consensus/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import type { ChainReplica } from '../../../src/node/paxos-replica.ts'
import type { CommitResult, ReplicaDeps } from '../../../src/node/replica-types.ts'
import type { AppliedWriteId } from '../../../src/protocols/sync/index.ts'
import { toHex } from '../../../src/chain/index.ts'
import type { WriteRef } from '../../../src/node/batch.ts'
import type { ChainMessage } from '../../../src/protocols/paxos/index.ts'
import { encodeBatch, encodeWrite } from '../../../src/node/batch.ts'
import { chainOf, enc } from '../storage/helpers.ts'
import { waitFor } from '../../utils/wait.ts'
import { BOOTH, SHARED, openShared } from './helpers/shared-replica.ts'

describe('node - a write whose slot a snapshot covered', () => {
  let db: NodeDatabase | undefined
  let dir: string | undefined
  let replica: ChainReplica | undefined
  afterEach(async () => {
    await replica?.close()
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  /** n3 leads, proposes W1 (keyed) whose accepts reach no one, is deposed by n1 and catches up by a snapshot over W1's slot. */
  const chain = chainOf(SHARED, 3)
  const w1Ref: WriteRef = { from: 'client', id: enc.encode('0123456789abcdef') }

  /**
   * n3 leads, proposes W1 (keyed) whose accepts reach no one, is deposed by n1
   * and catches up by a snapshot over W1's slot. `writeIds`: what n1 answers
   * when asked for the write ids of the blocks the snapshot covers (none: it
   * serves none).
   */
  async function orphanedBySnapshot (writeIds?: ReplicaDeps['fetchWriteIds']): Promise<{ r: ChainReplica, ref: WriteRef, b1: { round: number, proposer: string }, lead: (commit: number) => Promise<void>, advance: (ms: number) => void, sent: ChainMessage[], w1: Promise<Error | CommitResult> }> {
    dir = await mkdtemp(join(tmpdir(), 'vguard-snapshot-orphan-'))
    db = await openDatabase(dir)
    const store = new MemoryChainStore()
    let clock = 0
    const sent: ChainMessage[] = []
    const r = replica = await openShared(db, store, sent, async (_peer, height) => {
      const tip = await store.tip(SHARED)
      await store.appendMany(chain.slice(tip.height, height))
    }, () => clock, writeIds)

    const lead = async (commit: number): Promise<void> => {
      sent.length = 0
      r.campaign()
      await waitFor(() => sent.some(m => m.message.type === 'prepare'), { message: 'prepares' })
      const prep = sent.find(m => m.message.type === 'prepare')?.message as Extract<Message, { type: 'prepare' }>
      for (const from of ['n1', 'n2']) {
        r.step({ type: 'promise', from, to: 'n3', ballot: prep.ballot, commit, booths: [{ slot: 1, members: BOOTH }], entries: [] } as Message)
      }
      await waitFor(() => r.isLeader(), { message: 'n3 leads' })
    }

    await lead(0)
    // W1 proposed at slot 1; its accepts reach no one
    sent.length = 0
    const ref = w1Ref
    let answered = false
    const w1 = r.submit({ ...encodeWrite([{ key: 'k', value: enc.encode('v1') }]), ref }, { timeout: 10_000, waitForReplication: false })
      .catch((err: Error) => err).finally(() => { answered = true })
    await waitFor(() => r.status().outstanding === 1, { message: 'W1 proposed' })
    expect(sent.some(m => m.message.type === 'accept' && m.message.slot === 1)).toBe(true)

    // n1 took over and decided slots 1..3 with other values, compacted; n3 hears it and gets a snapshot
    const b1 = { round: 50, proposer: 'n1' }
    r.step({ type: 'heartbeat', from: 'n1', to: 'n3', ballot: b1, commit: 3 })
    await waitFor(() => r.status().leader === 'n1', { message: 'n3 follows n1' })
    r.step({ type: 'snapshot', from: 'n1', to: 'n3', slot: 3, booths: [{ slot: 1, members: BOOTH }] }, { height: 3, hash: chain[2].hash })
    await waitFor(() => r.status().applied === 3, { message: 'snapshot installed' })

    // at once, not at its deadline (the clock has not moved)
    await waitFor(() => answered, { message: 'W1 answered' })
    expect(r.status().outstanding).toBe(0)
    return { r, ref, b1, lead, advance: (ms) => { clock += ms }, sent, w1 }
  }

  it('is answered at once, refused on retry, and frees the pipeline', async () => {
    const { r, ref, lead, advance, sent, w1 } = await orphanedBySnapshot()
    // it may or may not be in the chain fetched
    expect(await w1).toMatchObject({ name: 'CommitTimeoutError', message: expect.stringMatching(/snapshot/) })

    // n1 goes away; n3 leads again
    advance(60_000)
    await lead(3)
    // a keyed retry of W1 is not proposed again
    expect(await r.landed(ref, 1_000)).toBe('unknown')

    // a small new write is proposed and commits
    sent.length = 0
    const w2 = r.submit(encodeWrite([{ key: 'k', value: enc.encode('v2') }]), { timeout: 5_000, waitForReplication: false })
    await waitFor(() => sent.some(m => m.message.type === 'accept' && m.message.slot === 4), { message: 'W2 proposed at slot 4' })
    const accept = sent.find(m => m.message.type === 'accept' && m.message.slot === 4)?.message as Extract<Message, { type: 'accept' }>
    r.step({ type: 'accepted', from: 'n1', to: 'n3', ballot: accept.ballot, slot: 4 } as Message)
    expect((await w2).height).toBe(4)
  })

  it('a retry gets the outcome once this node applies the write (another leader committed a retry of it)', async () => {
    const { r, ref, b1, lead, advance, w1 } = await orphanedBySnapshot()
    expect(await w1).toMatchObject({ name: 'CommitTimeoutError' })
    // W1 was not chosen at slot 1; n1 commits a retry of it at slot 4, and n3 applies that
    const batch = encodeBatch({ proposer: 'n1', ballot: b1, timestamp: 4_000, payloads: [encodeWrite([{ key: 'k', value: enc.encode('v1') }]).payload], writes: [ref] })
    r.step({ type: 'accept', from: 'n1', to: 'n3', ballot: b1, slot: 4, value: { kind: 'data', id: 'n1-retry', data: batch }, booth: BOOTH, commit: 3 } as Message)
    r.step({ type: 'heartbeat', from: 'n1', to: 'n3', ballot: b1, commit: 4 })
    await waitFor(() => r.status().applied === 4, { message: 'slot 4 applied' })
    expect(r.appliedWrite(ref)?.height).toBe(4)
    advance(60_000)
    await lead(4)
    expect(await r.landed(ref, 1_000)).toBe('landed')
  })

  it('learns the write ids of the blocks a snapshot brought: a write that committed there is answered with its block, and its retries too, after a restart as well', async () => {
    const asked: Array<[string, number, number]> = []
    // n1 applied W1 in block 2 (its key as the replica keys it), and a write of someone else in block 3
    const key = `${w1Ref.from}\n${SHARED}\n${toHex(w1Ref.id)}`
    const other = { from: 'other', id: enc.encode('fedcba9876543210') }
    const ids = async (peer: string, from: number, to: number): Promise<AppliedWriteId[]> => {
      asked.push([peer, from, to])
      return [
        { key, age: 1_000, height: 2, hash: chain[1].hash },
        { key: `${other.from}\n${SHARED}\n${toHex(other.id)}`, owner: 'carrier', age: 500, height: 3, hash: chain[2].hash }
      ]
    }
    const { r, ref, lead, advance, w1 } = await orphanedBySnapshot(ids)
    expect(asked).toEqual([['n1', 1, 3]])
    expect(await w1).toEqual({ chainId: SHARED, height: 2, hash: chain[1].hash })
    expect(r.appliedWrite(other)?.height).toBe(3)
    // the node leads: a retry is answered with the first commit, not proposed again
    advance(60_000)
    await lead(3)
    expect(await r.landed(ref, 1_000)).toBe('landed')
    expect(r.appliedWrite(ref)?.height).toBe(2)
    // and it serves them in turn, to the next replica that catches up from it
    expect(r.writeIdsBetween(1, 3).map(w => [w.height, w.owner])).toEqual([[2, undefined], [3, 'carrier']])
    expect(r.writeIdsBetween(3, 3)).toHaveLength(1)
    // kept on disk: a restart still knows them
    await r.close()
    const again = replica = await openShared(db as NodeDatabase, new MemoryChainStore(), [], async () => {})
    expect(again.appliedWrite(ref)?.height).toBe(2)
    expect(again.appliedWrite(other)?.height).toBe(3)
  })

  it('takes no write id whose block is not the one its copy holds at that height', async () => {
    const key = `${w1Ref.from}\n${SHARED}\n${toHex(w1Ref.id)}`
    const forged = await orphanedBySnapshot(async () => [{ key, age: 0, height: 2, hash: chain[2].hash }])
    expect(await forged.w1).toMatchObject({ name: 'CommitTimeoutError' })
    expect(forged.r.appliedWrite(w1Ref)).toBeUndefined()
  })

  it('asks another connected member of the booth when the one whose snapshot it installed cannot give the write ids', async () => {
    const key = `${w1Ref.from}\n${SHARED}\n${toHex(w1Ref.id)}`
    const asked: string[] = []
    const { w1 } = await orphanedBySnapshot(async (peer) => {
      asked.push(peer)
      if (peer === 'n1') throw new Error('the stream was reset')
      return [{ key, age: 0, height: 1, hash: chain[0].hash }]
    })
    expect(asked).toEqual(['n1', 'n2'])
    expect(await w1).toEqual({ chainId: SHARED, height: 1, hash: chain[0].hash })
  })

  it('installs the snapshot when the write ids cannot be had (what it cannot learn stays unknown, after a restart too)', async () => {
    const failing = await orphanedBySnapshot(async () => { throw new Error('no route') })
    expect(await failing.w1).toMatchObject({ name: 'CommitTimeoutError' })
    expect(failing.r.status().applied).toBe(3)
    expect(await failing.r.landed(w1Ref, 1_000)).toBe('unknown')
    await failing.r.close()
    const again = replica = await openShared(db as NodeDatabase, new MemoryChainStore(), [], async () => {})
    expect(await again.landed(w1Ref, 1_000)).toBe('unknown')
    expect(again.appliedWrite(w1Ref)).toBeUndefined()
  })
})
