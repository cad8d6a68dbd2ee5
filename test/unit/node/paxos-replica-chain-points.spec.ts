/**
 * A vehicle's phase 1 meets booth members whose values cannot show a lost
 * history: compacted at exactly the slot its divergence check compares, they
 * hold none there (a CI run: a vehicle that lost its database and wrote alone
 * committed on top of that block once its members' promises, showing
 * nothing, were counted). Their promises name where the chain stood (a point
 * the vehicle named to them, or the one they compacted at); one that is not
 * where the vehicle's chain stood there is not counted, and the vehicle's own
 * data is asked to prove the conflict.
 */
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import type { Message, PrepareMessage } from '../../../src/consensus/index.ts'
import type { ChainMessage, ChainPoint } from '../../../src/protocols/paxos/index.ts'
import { OwnChainConflictError } from '../../../src/node/consensus-errors.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { ChainReplica } from '../../../src/node/paxos-replica.ts'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { enc } from '../storage/helpers.ts'
import { waitFor } from '../../utils/wait.ts'
import { SELF, openMemberReplica, openOwnReplica, useOwnReplica } from './helpers/own-replica.ts'

const MEMBERS = ['m1', 'm2']
const WRITE = { timeout: 10_000, waitForReplication: false }

interface Booth {
  r: ChainReplica
  store: MemoryChainStore
  sent: ChainMessage[]
  fetches: Array<{ peer: string, height: number, proof?: boolean }>
  /** Members answer accepts with accepted (as a booth that votes would). */
  voting: { on: boolean }
}

describe('node - a booth member\'s promise names where its vehicle\'s chain stood', () => {
  const fixture = useOwnReplica()

  it('the newest point the vehicle named at or below its commit', async () => {
    const sent: ChainMessage[] = []
    const r = await openMemberReplica(new LevelPaxosStore(await fixture.database()).storage(SELF), { self: 'm1', send: (messages) => { sent.push(...messages) } })
    try {
      const ballot = { round: 1, proposer: SELF }
      const booth = [SELF, 'm1', 'm2']
      r.step({ type: 'decided', from: SELF, to: 'm1', entries: [1, 2, 3].map(slot => ({ slot, value: { kind: 'noop' }, booth })), commit: 3 })
      const named = { slot: 3, height: 2, hash: randomBytes(32) }
      r.step({ type: 'heartbeat', from: SELF, to: 'm1', ballot, commit: 3 }, undefined, { slot: 2, height: 1, hash: randomBytes(32) })
      r.step({ type: 'heartbeat', from: SELF, to: 'm1', ballot, commit: 3 }, undefined, named)
      // a point past its commit is none it may name
      r.step({ type: 'heartbeat', from: SELF, to: 'm1', ballot, commit: 5 }, undefined, { slot: 5, height: 3, hash: randomBytes(32) })
      r.step({ type: 'prepare', from: SELF, to: 'm1', ballot: { round: 2, proposer: SELF }, slot: 4 })
      await waitFor(() => sent.some(m => m.message.type === 'promise'), { message: 'its promise' })
      const answer = sent.find(m => m.message.type === 'promise')
      expect(answer?.message).toMatchObject({ commit: 3 })
      expect(answer?.chainAt).toEqual(named)
      // it heard of commit 5: its catch-up from slot 4 names the newest point below it
      await waitFor(() => sent.some(m => m.message.type === 'catchup'), { message: 'its catch-up' })
      const ask = sent.find(m => m.message.type === 'catchup')
      expect(ask?.message).toMatchObject({ slot: 4 })
      expect(ask?.chainAt).toEqual(named)
    } finally {
      await r.close()
    }
  })
})

describe('node - a vehicle teaching a member what it decided', () => {
  const fixture = useOwnReplica()

  it('not on top of another history: a catch-up naming a point where its chain did not stand gets no answer (a CI run: the member ran on with its values, and its promise showed nothing to compare)', async () => {
    const sent: ChainMessage[] = []
    const store = new MemoryChainStore()
    const r = await fixture.open({ store, send: (messages) => { sent.push(...messages) } })
    await r.submit(encodeWrite([{ key: 'a', value: enc.encode('1') }]), WRITE)
    const first = { slot: r.status().applied, ...(await store.tip(SELF)) }
    await r.submit(encodeWrite([{ key: 'b', value: enc.encode('2') }]), WRITE)
    const asked = first.slot + 1
    const taught = (): number => sent.filter(m => m.message.type === 'decided' && m.message.to === 'm1').length
    // where the member's history has the chain at that slot: another block there, nothing taught
    r.step({ type: 'catchup', from: 'm1', to: SELF, slot: asked }, undefined, { slot: first.slot, height: 1, hash: randomBytes(32) })
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(taught()).toBe(0)
    // its own history there: taught
    r.step({ type: 'catchup', from: 'm1', to: SELF, slot: asked }, undefined, { slot: first.slot, height: 1, hash: first.hash })
    await waitFor(() => taught() === 1, { message: 'taught' })
    // no point, as a member of an earlier version asks: taught as before
    r.step({ type: 'catchup', from: 'm1', to: SELF, slot: asked })
    await waitFor(() => taught() === 2, { message: 'taught again' })
  })
})

describe('node - a vehicle\'s phase 1 and the chain points its members name', () => {
  const fixture = useOwnReplica()

  /** The vehicle writes block 1 alone, then its members connect: its next write waits for their phase 1. */
  async function boothGrows (fetchTo: (peer: string, height: number) => Promise<void>, tableConflict?: () => Promise<Error | undefined>, restarted = false): Promise<Booth & { next: Promise<unknown>, prepare: PrepareMessage }> {
    const store = new MemoryChainStore()
    if (restarted) {
      // two blocks, then a restart: it knows where its chain stood from its tip on only
      const first = await openOwnReplica(await fixture.database(), { store })
      for (const key of ['before/1', 'before/2']) await first.replica.submit(encodeWrite([{ key, value: enc.encode(key) }]), WRITE)
      await first.stop()
    }
    const sent: ChainMessage[] = []
    const fetches: Array<{ peer: string, height: number, proof?: boolean }> = []
    const voting = { on: false }
    let connected: string[] = []
    // the members' replies go to r: assigned before any accept (votes start once its booth grew)
    const r: ChainReplica = await fixture.open({
      store,
      boothSize: 3,
      connected: () => connected,
      send: (messages) => {
        sent.push(...messages)
        for (const { message } of messages) {
          if (!voting.on || message.type !== 'accept') continue
          const reply: Message = { type: 'accepted', from: message.to, to: SELF, ballot: message.ballot, slot: message.slot }
          setImmediate(() => { r.step(reply) })
        }
      },
      fetchTo: async (peer, height, _hash, options) => {
        fetches.push({ peer, height, ...(options?.proof === true ? { proof: true } : {}) })
        await fetchTo(peer, height)
      },
      ...(tableConflict != null ? { tableConflict } : {})
    })
    if (!restarted) expect((await r.submit(encodeWrite([{ key: 'alone', value: enc.encode('1') }]), WRITE)).height).toBe(1)
    connected = MEMBERS
    const next = r.submit(encodeWrite([{ key: 'next', value: enc.encode('2') }]), WRITE)
    next.catch(() => {})
    await waitFor(() => sent.some(m => m.message.type === 'prepare'), { message: 'a prepare to its new booth' })
    const prepare = sent.find(m => m.message.type === 'prepare')?.message as PrepareMessage
    return { r, store, sent, fetches, voting, next, prepare }
  }

  /** A member's promise: it decided up to `commit`, under the booth the vehicle runs now, and holds nothing above. */
  function promise (from: string, prepare: PrepareMessage, r: ChainReplica): Message {
    const st = r.status()
    return { type: 'promise', from, to: SELF, ballot: prepare.ballot, commit: st.decided, booths: [{ slot: st.decided, members: st.booth }], entries: [] }
  }

  it('a promise naming another point at a slot it applied is not counted; the conflict its holders prove stops the chain, nothing written', async () => {
    const conflict = new OwnChainConflictError(`${SELF}'s chain went another way than the one its backups hold (up to height 5): their block 2 does not follow its block 1. Nothing was written`)
    const b = await boothGrows(async () => { throw conflict })
    const st = b.r.status()
    // where its members compacted: slot `applied`, but at height 5 of another chain
    const elsewhere: ChainPoint = { slot: st.applied, height: 5, hash: randomBytes(32) }
    for (const m of MEMBERS) b.r.step(promise(m, b.prepare, b.r), undefined, elsewhere)
    await expect(b.next).rejects.toBe(conflict)
    // from the holders our tables name, not from m1 (fetchPlan): it chose the point
    expect(b.fetches).toEqual([{ peer: 'm1', height: 5, proof: true }])
    // stopped: later writes fail the same way, and nothing was proposed or stored
    await expect(b.r.submit(encodeWrite([{ key: 'later', value: enc.encode('3') }]), WRITE)).rejects.toBe(conflict)
    expect(b.sent.filter(m => m.message.type === 'accept')).toEqual([])
    expect((await b.store.tip(SELF)).height).toBe(1)
    expect(b.r.status().failed).toMatch(/went another way/)
  })

  it('a promise of a peer whose vote would not count (outside the booth) naming another point asks no proof of it: nothing fetched, nothing stopped', async () => {
    const b = await boothGrows(async () => { throw new OwnChainConflictError('made up') })
    const st = b.r.status()
    // a member of the network outside the booth, naming a block of a chain it made up under our id
    b.r.step(promise('outsider', b.prepare, b.r), undefined, { slot: st.applied, height: 5, hash: randomBytes(32) })
    // the booth's own promises then count, and the write goes through
    b.voting.on = true
    for (const m of MEMBERS) b.r.step(promise(m, b.prepare, b.r))
    await expect(b.next).resolves.toMatchObject({ height: 2 })
    expect(b.fetches).toEqual([])
    expect(b.r.status().failed).toBeUndefined()
  })

  it('a promise whose values already show another history goes to the state machine: it stops at once, nothing fetched', async () => {
    const b = await boothGrows(async () => { throw new Error('not asked') })
    const st = b.r.status()
    const shown = promise('m1', b.prepare, b.r)
    if (shown.type !== 'promise') throw new Error('a promise')
    // another value decided at the last slot it decided
    shown.entries = [{ slot: st.decided, ballot: { round: 0, proposer: '' }, value: { kind: 'data', id: 'other', data: enc.encode('other') }, booth: st.booth, decided: true }]
    b.r.step(shown, undefined, { slot: st.applied, height: 5, hash: randomBytes(32) })
    await expect(b.next).rejects.toMatchObject({ name: 'OwnChainConflictError', message: expect.stringMatching(/m1 decided another value at slot \d+ than this vehicle did/) })
    expect(b.fetches).toEqual([])
  })

  it('a point at a height its chain holds: a table of its own naming another block there is the proof (nothing to fetch)', async () => {
    const conflict = new OwnChainConflictError(`${SELF}'s chain went another way than the one its backups hold: ${SELF} does not hold the block its newest backup table names at height 1. Nothing was written`)
    let asked = 0
    const b = await boothGrows(async () => { throw new Error('not asked') }, async () => { asked++; return conflict })
    const st = b.r.status()
    b.r.step(promise('m1', b.prepare, b.r), undefined, { slot: st.applied, height: 1, hash: randomBytes(32) })
    await expect(b.next).rejects.toBe(conflict)
    expect(b.fetches).toEqual([])
    expect(asked).toBe(1)
    expect((await b.store.tip(SELF)).height).toBe(1)
  })

  it('after a restart, a point below the slot it knows its position from: told by height (a chain\'s height never falls from slot to slot)', async () => {
    const conflict = new OwnChainConflictError(`${SELF}'s chain went another way than the one its backups hold. Nothing was written`)
    const b = await boothGrows(async () => { throw conflict }, undefined, true)
    const { applied } = b.r.status()
    expect(applied).toBeGreaterThan(1)
    // below its tip's slot, at a height its chain never had there: not counted, and the proof asked for
    b.r.step(promise('m1', b.prepare, b.r), undefined, { slot: 1, height: 5, hash: randomBytes(32) })
    await expect(b.next).rejects.toBe(conflict)
    expect(b.fetches).toEqual([{ peer: 'm1', height: 5, proof: true }])
  })

  it('after a restart, a point below the slot it knows its position from, at a height it may have had there: counted as before', async () => {
    const b = await boothGrows(async () => { throw new Error('not asked') }, undefined, true)
    b.voting.on = true
    for (const m of MEMBERS) b.r.step(promise(m, b.prepare, b.r), undefined, { slot: 1, height: 1, hash: randomBytes(32) })
    expect(await b.next).toMatchObject({ height: 3 })
    expect(b.fetches).toEqual([])
  })

  it('a point its holders do not prove stops nothing: the promise stays uncounted (a member cannot halt its vehicle with a made-up point)', async () => {
    const b = await boothGrows(async (peer) => { throw new Error(`${peer} holds no such chain`) })
    const st = b.r.status()
    const made: ChainPoint = { slot: st.applied, height: 7, hash: randomBytes(32) }
    b.voting.on = true
    b.r.step(promise('m1', b.prepare, b.r), undefined, made)
    await waitFor(() => b.fetches.length === 1, { message: 'its holders asked' })
    await new Promise(resolve => setImmediate(resolve))
    // m1 alone is not counted: no majority of the booth of three has answered
    expect(b.sent.filter(m => m.message.type === 'accept')).toEqual([])
    expect(b.r.status().failed).toBeUndefined()
    // m2's promise names where its chain stood: counted, and the write commits
    const tip = await b.store.tip(SELF)
    b.r.step(promise('m2', b.prepare, b.r), undefined, { slot: st.applied, height: tip.height, hash: tip.hash })
    expect(await b.next).toMatchObject({ height: 2 })
  })
})
