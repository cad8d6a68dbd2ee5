/**
 * Value proofs on a vehicle's own chain (src/consensus/proofs.ts): the
 * proposer signs what it proposes, its members keep and report the
 * signatures, and it believes no value a member reports above its commit
 * without one. A probe found that a booth member's promise could write a
 * made-up decided value into the vehicle's chain, and that made-up evidence
 * of lost votes had the vehicle wait on every member of its booth.
 */
import { describe, expect, it } from 'vitest'
import { createPaxos, InvalidMessageError, PaxosConfigError } from '../../../src/consensus/index.ts'
import type { Entry, Message, Paxos, PaxosConfig, PersistedState, Ready, Value } from '../../../src/consensus/index.ts'
import { testCommitSignature, testProofs, testSignature } from './utils/proofs.ts'

type PromiseMessage = Extract<Message, { type: 'promise' }>
type AcceptMessage = Extract<Message, { type: 'accept' }>

const booth = ['a', 'b', 'c']
const booths = [{ slot: 1, members: booth }]
const evil: Value = { kind: 'data', id: 'evil', data: Uint8Array.of(6, 6, 6) }
const noop: Value = { kind: 'noop' }

function config (over: Partial<PaxosConfig> = {}): PaxosConfig {
  return {
    id: 'a',
    booth,
    election: { mode: 'fixed', proposer: 'a' },
    electionTicks: 10,
    heartbeatTicks: 1,
    random: () => 0,
    proofs: testProofs('a'),
    ...over
  }
}

function drain (p: Paxos): Ready[] {
  const out: Ready[] = []
  for (let rd = p.ready(); rd != null; rd = p.ready()) {
    out.push(rd)
    p.advance(rd)
  }
  return out
}

function tickDrain (p: Paxos): Ready[] {
  p.tick()
  return drain(p)
}

const sent = <T extends Message['type']>(rds: Ready[], type: T): Array<Extract<Message, { type: T }>> =>
  rds.flatMap(rd => rd.messages).filter((m): m is Extract<Message, { type: T }> => m.type === type)

const promise = (from: string, round: number, over: Partial<PromiseMessage> = {}): PromiseMessage =>
  ({ type: 'promise', from, to: 'a', ballot: { round, proposer: 'a' }, commit: 0, booths, entries: [], ...over })

const signed = (slot: number, round: number, value: Value): { round: number, signature: Uint8Array } =>
  ({ round, signature: testSignature('a', slot, round, value) })

/** Campaigns and returns its round. */
function campaign (p: Paxos): number {
  p.campaign()
  return sent(drain(p), 'prepare')[0].ballot.round
}

/** What its data dir held: it led at round 1, decided slot 1 and accepted slot 2 (undecided). */
const restoredState = (): PersistedState => ({
  hardState: { promised: { round: 1, proposer: 'a' }, round: 1, commit: 1, compacted: 0, booths },
  entries: [
    { slot: 1, ballot: { round: 1, proposer: 'a' }, value: noop, booth, decided: true, proof: signed(1, 1, noop) },
    { slot: 2, ballot: { round: 1, proposer: 'a' }, value: { kind: 'data', id: 'held', data: Uint8Array.of(2) }, booth, decided: false }
  ]
})
const restored = (): Paxos => createPaxos(config({ applied: 1 }), restoredState())

describe('consensus - value proofs (a vehicle\'s own chain)', () => {
  it('the proposer signs each accept; a member keeps the signature with the value and shows it in its promise', () => {
    const p = createPaxos(config())
    const round = campaign(p)
    p.step(promise('b', round))
    drain(p)
    expect(p.status().role).toBe('leader')
    const value: Value = { kind: 'data', id: 'x', data: Uint8Array.of(1) }
    p.propose({ id: 'x', data: Uint8Array.of(1) })
    const accepts = sent(drain(p), 'accept')
    expect(accepts.length).toBe(2)
    for (const m of accepts) expect(testProofs('a').verify(m.slot, m.ballot.round, value, m.proof as Uint8Array)).toBe(true)

    const member = createPaxos(config({ id: 'b', proofs: undefined }))
    drain(member)
    member.step(accepts.find(m => m.to === 'b') as AcceptMessage)
    const kept = drain(member).flatMap(rd => rd.persist.entries)
    expect(kept).toEqual([expect.objectContaining({ slot: 1, proof: { round, signature: accepts[0].proof } })])
    member.step({ type: 'prepare', from: 'a', to: 'b', ballot: { round: round + 1, proposer: 'a' }, slot: 1 })
    const reported = sent(drain(member), 'promise')[0].entries
    expect(reported).toEqual([expect.objectContaining({ slot: 1, value, proof: { round, signature: accepts[0].proof } })])
  })

  it('the proposer signs each commit it announces; a member keeps the highest, durably, and shows it in its promises', () => {
    const p = createPaxos(config({ booth: ['a', 'b'] }))
    const round = campaign(p)
    p.step(promise('b', round, { booths: [{ slot: 1, members: ['a', 'b'] }] }))
    drain(p)
    const member = createPaxos(config({ id: 'b', booth: ['a', 'b'], proofs: undefined }))
    drain(member)
    let persisted: PersistedState | undefined
    for (const id of ['x', 'y']) {
      p.propose({ id, data: Uint8Array.of(1) })
      for (const m of sent(drain(p), 'accept')) {
        expect(m.commitProof).toEqual(testCommitSignature('a', m.commit))
        member.step(m)
        for (const rd of drain(member)) {
          if (rd.persist.hardState != null) persisted = { hardState: rd.persist.hardState, entries: [] }
          for (const a of rd.messages) p.step(a)
        }
      }
    }
    p.tick()
    const beats = sent(drain(p), 'heartbeat')
    expect(beats[0]).toMatchObject({ commit: 2, commitProof: testCommitSignature('a', 2) })
    member.step(beats[0])
    for (const rd of drain(member)) if (rd.persist.hardState != null) persisted = { hardState: rd.persist.hardState, entries: [] }
    expect(persisted?.hardState.commitProof).toEqual({ commit: 2, signature: testCommitSignature('a', 2) })
    // restarted from what it persisted, it still shows it
    const again = createPaxos(config({ id: 'b', booth: ['a', 'b'], proofs: undefined, applied: 0 }), { ...(persisted as PersistedState), hardState: { ...(persisted as PersistedState).hardState, commit: 0 } })
    again.step({ type: 'prepare', from: 'a', to: 'b', ballot: { round: round + 1, proposer: 'a' }, slot: 1 })
    expect(sent(drain(again), 'promise')[0].commitProof).toEqual({ commit: 2, signature: testCommitSignature('a', 2) })
  })

  it('a snapshot the proposer answers signs its slot as a commit, which the member keeps: its commit jumps there', () => {
    const p = createPaxos(config({ applied: 4 }), { hardState: { promised: { round: 1, proposer: 'a' }, round: 1, commit: 4, compacted: 4, booths }, entries: [] })
    drain(p)
    p.step({ type: 'catchup', from: 'b', to: 'a', slot: 2 })
    const snapshot = sent(drain(p), 'snapshot')[0]
    expect(snapshot).toMatchObject({ slot: 4, commitProof: testCommitSignature('a', 4) })
    const member = createPaxos(config({ id: 'b', proofs: undefined }))
    drain(member)
    member.step({ type: 'heartbeat', from: 'a', to: 'b', ballot: { round: 1, proposer: 'a' }, commit: 4 })
    drain(member)
    member.step(snapshot)
    const hard = drain(member).map(rd => rd.persist.hardState).filter(h => h != null).pop()
    expect(hard?.commitProof).toEqual({ commit: 4, signature: testCommitSignature('a', 4) })
  })

  it('a member that reports a value the vehicle did not propose, unsigned, is refused, and that campaign does not lead: the value goes nowhere', () => {
    const p = createPaxos(config())
    const round = campaign(p)
    expect(() => { p.step(promise('b', round, { commit: 1, entries: [{ slot: 1, ballot: { round: 1, proposer: 'a' }, value: evil, booth, decided: true }] })) }).toThrow(InvalidMessageError)
    // an honest promise completes a majority, but a member of an earlier version could show true votes unsigned: no lead
    p.step(promise('c', round))
    let rds = drain(p)
    expect(p.status().role).toBe('candidate')
    // the next campaign, b silent: it leads with c, and nothing of b's is decided
    for (let i = 0; i < 40 && p.status().ballot.round === round; i++) rds = rds.concat(tickDrain(p))
    p.step(promise('c', p.status().ballot.round))
    rds = rds.concat(drain(p))
    expect(p.status().role).toBe('leader')
    expect(rds.flatMap(rd => rd.decided)).toEqual([])
  })

  it.each<[string, (round: number) => Entry]>([
    ['with a signature of its own', () => ({ slot: 1, ballot: { round: 1, proposer: 'a' }, value: evil, booth, decided: true, proof: { round: 1, signature: testSignature('b', 1, 1, evil) } })],
    ['with the vehicle\'s signature of another value', () => ({ slot: 1, ballot: { round: 1, proposer: 'a' }, value: evil, booth, decided: true, proof: signed(1, 1, noop) })],
    ['with the vehicle\'s signature of that value at another slot', () => ({ slot: 2, ballot: { round: 1, proposer: 'a' }, value: evil, booth, decided: true, proof: signed(1, 1, evil) })],
    ['accepted at a round other than the one signed', round => ({ slot: 1, ballot: { round, proposer: 'a' }, value: evil, booth, decided: false, proof: signed(1, round + 1, evil) })]
  ])('a member that reports a value the vehicle did not propose (%s) is refused as made up, and the value goes nowhere', (_, made) => {
    const p = createPaxos(config())
    const round = campaign(p)
    expect(() => { p.step(promise('b', round, { commit: 1, entries: [made(round)] })) }).toThrow(InvalidMessageError)
    // the honest member's promise: the vehicle leads, and nothing of b's is decided
    p.step(promise('c', round))
    const rds = drain(p)
    expect(p.status().role).toBe('leader')
    expect(rds.flatMap(rd => rd.decided)).toEqual([])
    expect(p.status().commit).toBe(0)
  })

  it('a made-up decided value in a catch-up answer is refused', () => {
    const p = restored()
    expect(() => { p.step({ type: 'decided', from: 'b', to: 'a', commit: 3, entries: [{ slot: 3, value: evil, booth }] }) }).toThrow(InvalidMessageError)
    expect(p.status().commit).toBe(1)
  })

  describe('a value decided other than the one the vehicle decided at that slot (it lost its database and decided alone)', () => {
    const other: Value = { kind: 'data', id: 'before', data: Uint8Array.of(1) }
    const reported = (proof?: { round: number, signature: Uint8Array }): Entry =>
      ({ slot: 1, ballot: { round: 0, proposer: '' }, value: other, booth, decided: true, ...(proof != null ? { proof } : {}) })

    it('with the vehicle\'s signature (its key outlived the database): reported diverged, not counted, and that campaign ends', () => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      p.step(promise('b', round, { commit: 1, entries: [reported(signed(1, 1, other))] }))
      const rds = drain(p)
      expect(rds.flatMap(rd => rd.diverged ?? [])).toEqual([{ slot: 1, peer: 'b', fatal: true }])
      expect(p.status()).toMatchObject({ role: 'follower', commit: 1 })
    })

    it.each<[string, { round: number, signature: Uint8Array } | undefined]>([
      ['unsigned', undefined],
      ['with a signature that does not check', { round: 1, signature: testSignature('b', 1, 1, other) }]
    ])('%s: refused, no divergence is reported (a member cannot stop the vehicle\'s chain so), and the campaign leads with honest members', (_, proof) => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      expect(() => { p.step(promise('b', round, { commit: 1, entries: [reported(proof)] })) }).toThrow(InvalidMessageError)
      let rds = drain(p)
      expect(rds.flatMap(rd => rd.diverged ?? [])).toEqual([])
      expect(p.status().role).toBe('candidate')
      if (proof == null) {
        // unsigned may be a member of an earlier version telling the truth: that campaign does not lead; the next one, without b, does
        for (let i = 0; i < 40 && p.status().ballot.round === round; i++) rds = rds.concat(tickDrain(p))
      }
      p.step(promise('c', p.status().ballot.round, { commit: 1 }))
      for (let i = 0; i < 20 && p.status().role !== 'leader'; i++) rds = rds.concat(tickDrain(p))
      expect(p.status().role).toBe('leader')
      expect(rds.flatMap(rd => rd.diverged ?? [])).toEqual([])
    })
  })

  describe('evidence that the vehicle lost votes', () => {
    const held: Value = { kind: 'data', id: 'held', data: Uint8Array.of(2) }

    /** After the refusal: b answers and c (the liar) stays silent; a's promise and b's are a majority once the wait for silent members ends. */
    const leadsWithoutTheLiar = (p: Paxos, round: number, unsigned: boolean): void => {
      if (unsigned) {
        // it may be true (a member of an earlier version): that campaign does not lead
        p.step(promise('b', round, { commit: 1 }))
        for (let i = 0; i < 4; i++) tickDrain(p)
        expect(p.status().role).toBe('candidate')
      }
      // a nack naming a promise of its ballot above its rounds proves nothing either
      p.step({ type: 'nack', from: 'c', to: 'a', ballot: { round, proposer: 'a' }, promised: { round: round + 5, proposer: 'a' } })
      drain(p)
      expect(p.votesForgotten).toBe(false)
      const next = p.status().role === 'candidate' ? round : campaign(p)
      p.step(promise('b', next, { commit: 1 }))
      for (let i = 0; i < 20 && p.status().role !== 'leader'; i++) tickDrain(p)
      expect(p.status().role).toBe('leader')
      expect(p.votesForgotten).toBe(false)
    }

    it.each<[string, (round: number) => PromiseMessage]>([
      ['a commit past every slot it holds, with no value', round => promise('c', round, { commit: 5 })],
      ['a commit past every slot it holds, with values it holds only', round => promise('c', round, { commit: 5, entries: [{ slot: 2, ballot: { round: 1, proposer: 'a' }, value: held, booth, decided: true }] })],
      ['a value of its past what it holds', round => promise('c', round, { commit: 1, entries: [{ slot: 3, ballot: { round: 1, proposer: 'a' }, value: noop, booth, decided: false }] })],
      ['a value it holds, accepted at the round it campaigns with', round => promise('c', round, { commit: 1, entries: [{ slot: 2, ballot: { round, proposer: 'a' }, value: held, booth, decided: false }] })],
      ['a value it decided, accepted at the round it campaigns with', round => promise('c', round, { commit: 1, entries: [{ slot: 1, ballot: { round, proposer: 'a' }, value: evil, booth, decided: false }] })]
    ])('unsigned (%s): refused, its own promise still counts, and once the liar is silent it leads', (_, forged) => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      expect(() => { p.step(forged(round)) }).toThrow(InvalidMessageError)
      leadsWithoutTheLiar(p, round, true)
    })

    it.each<[string, (round: number) => PromiseMessage]>([
      ['a commit past every slot it holds, with a commit signed by another', round => promise('c', round, { commit: 9, commitProof: { commit: 9, signature: testCommitSignature('c', 9) } })],
      ['a value past what it holds, with a signature by another', round => promise('c', round, { commit: 1, entries: [{ slot: 3, ballot: { round: 1, proposer: 'a' }, value: noop, booth, decided: false, proof: { round: 1, signature: testSignature('c', 3, 1, noop) } }] })],
      ['a value it decided, accepted at the round it campaigns with, with a signature by another', round => promise('c', round, { commit: 1, entries: [{ slot: 1, ballot: { round, proposer: 'a' }, value: evil, booth, decided: false, proof: { round, signature: testSignature('c', 1, round, evil) } }] })]
    ])('made up (%s): refused as if never sent, and the campaign goes on', (_, forged) => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      expect(() => { p.step(forged(round)) }).toThrow(InvalidMessageError)
      leadsWithoutTheLiar(p, round, false)
    })

    it('a member that keeps showing true votes unsigned (an earlier version\'s): the vehicle never leads with its stale promise', () => {
      // slot 2 was decided with v by a and b while c was away; a's data dir went back to before it: b's vote is the only trace
      const v: Value = { kind: 'data', id: 'v', data: Uint8Array.of(7) }
      const p = createPaxos(config({ applied: 1 }), { ...restoredState(), entries: [restoredState().entries[0]] })
      p.tick()
      for (let i = 0; i < 60; i++) {
        for (const m of sent(drain(p), 'prepare')) {
          if (m.to === 'b') expect(() => { p.step(promise('b', m.ballot.round, { commit: 2, entries: [{ slot: 2, ballot: { round: 0, proposer: '' }, value: v, booth, decided: true }] })) }).toThrow(InvalidMessageError)
          if (m.to === 'c') p.step(promise('c', m.ballot.round, { commit: 1 }))
        }
        tickDrain(p)
        expect(p.status().role).not.toBe('leader')
      }
    })

    it('a commit claimed past what the member proves is believed up to what it proves', () => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      const claim = promise('b', round, { commit: 1_000_000_000, commitProof: { commit: 3, signature: testCommitSignature('a', 3) } })
      p.step(claim)
      expect(claim.commit).toBe(3)
      expect(p.votesForgotten).toBe(true)
    })

    it.each<[string, (round: number) => PromiseMessage]>([
      ['a slot decided past what it holds, signed', round => promise('b', round, { commit: 3, entries: [{ slot: 2, ballot: { round: 0, proposer: '' }, value: held, booth, decided: true }, { slot: 3, ballot: { round: 0, proposer: '' }, value: noop, booth, decided: true, proof: signed(3, 1, noop) }] })],
      ['a value accepted past what it holds, signed', round => promise('b', round, { commit: 1, entries: [{ slot: 3, ballot: { round: 1, proposer: 'a' }, value: noop, booth, decided: false, proof: signed(3, 1, noop) }] })],
      ['a value accepted at the round it campaigns with, signed', round => promise('b', round, { commit: 1, entries: [{ slot: 2, ballot: { round, proposer: 'a' }, value: held, booth, decided: false, proof: signed(2, round, held) }] })],
      ['a commit past every slot it holds, its values compacted, with a commit it signed', round => promise('b', round, { commit: 9, commitProof: { commit: 9, signature: testCommitSignature('a', 9) } })],
      ['a commit past every slot it holds, with a lower commit it signed, still past them', round => promise('b', round, { commit: 9, commitProof: { commit: 3, signature: testCommitSignature('a', 3) } })]
    ])('signed by the vehicle (%s) still counts: its own promise counts no more until it leads', (_, shows) => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      p.step(shows(round))
      drain(p)
      expect(p.votesForgotten).toBe(true)
    })

    it('a member\'s vote from before proofs, on the value the vehicle holds at a round it used, is taken', () => {
      const p = restored()
      p.tick()
      const round = sent(drain(p), 'prepare')[0].ballot.round
      p.step(promise('b', round, { commit: 1, entries: [{ slot: 2, ballot: { round: 1, proposer: 'a' }, value: held, booth, decided: false }] }))
      p.step(promise('c', round, { commit: 1 }))
      drain(p)
      expect(p.votesForgotten).toBe(false)
      expect(p.status().role).toBe('leader')
    })
  })

  it.each<[string, Partial<PaxosConfig>]>([
    ['a member of the booth', { id: 'b' }],
    ['an elected chain', { election: { mode: 'elected', candidates: [{ id: 'a', priority: 0 }] } }],
    ['no verify function', { proofs: { sign: () => new Uint8Array(64) } as unknown as PaxosConfig['proofs'] }]
  ])('proofs are for the one proposer of a chain: refused for %s', (_, over) => {
    expect(() => createPaxos(config(over))).toThrow(PaxosConfigError)
  })
})
