import { describe, expect, it } from 'vitest'
import {
  createPaxos, DuplicateProposalError, ElectionDisabledError, InvalidBoothError, InvalidMessageError,
  InvalidProposalError, NotLeaderError, PaxosConfigError, ProposalDroppedError, ReadyStateError
} from '../../../src/consensus/index.ts'
import { MAX_ROUND_JUMP } from '../../../src/consensus/validate.ts'
import type { Ballot, Message, Paxos, PaxosConfig, Ready, Value } from '../../../src/consensus/index.ts'

function config (over: Partial<PaxosConfig> = {}): PaxosConfig {
  return {
    id: 'a',
    booth: ['a'],
    election: { mode: 'fixed', proposer: 'a' },
    electionTicks: 10,
    heartbeatTicks: 1,
    random: () => 0,
    ...over
  }
}

/** Runs the Ready cycle without a network (a booth of one decides alone). */
function drain (p: Paxos): Ready[] {
  const out: Ready[] = []
  for (let rd = p.ready(); rd != null; rd = p.ready()) {
    out.push(rd)
    p.advance(rd)
  }
  return out
}

/** A single-node chain whose proposer leads. */
function leader (over: Partial<PaxosConfig> = {}): Paxos {
  const p = createPaxos(config(over))
  p.tick()
  drain(p)
  expect(p.status().role).toBe('leader')
  return p
}

describe('consensus - Paxos API', () => {
  it.each<[string, Partial<PaxosConfig>]>([
    ['empty id', { id: '' }],
    ['empty booth', { booth: [] }],
    ['duplicate booth member', { booth: ['a', 'a'] }],
    ['no random source', { random: undefined as unknown as () => number }],
    ['zero election ticks', { electionTicks: 0 }],
    ['fractional heartbeat', { heartbeatTicks: 1.5 }],
    ['idle heartbeat faster than the heartbeat', { heartbeatTicks: 4, idleHeartbeatTicks: 2 }],
    ['fractional idle heartbeat', { idleHeartbeatTicks: 2.5 }],
    ['maxInflight above window', { window: 2, maxInflight: 3 }],
    ['unknown election mode', { election: { mode: 'anarchy' } as unknown as PaxosConfig['election'] }],
    ['no candidates', { election: { mode: 'elected', candidates: [] } }],
    ['bad learner', { learners: [''] }],
    ['applied beyond commit', { applied: 5 }]
  ])('refuses a config with %s', (_, over) => {
    expect(() => createPaxos(config(over))).toThrow(PaxosConfigError)
  })

  it('writes the genesis hard state with its first Ready', () => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'] }))
    const rd = p.ready()
    expect(rd?.persist.hardState).toEqual({
      promised: { round: 0, proposer: '' },
      round: 0,
      commit: 0,
      compacted: 0,
      booths: [{ slot: 1, members: ['a', 'b', 'c'] }]
    })
  })

  it('decides alone in a booth of one and hands values out in order, once', () => {
    const p = leader()
    p.propose({ id: 'x', data: Uint8Array.of(1) })
    p.propose({ id: 'y', data: Uint8Array.of(2) })
    const decided = drain(p).flatMap(rd => rd.decided)
    expect(decided.map(d => [d.slot, d.value])).toEqual([
      [1, { kind: 'data', id: 'x', data: Uint8Array.of(1) }],
      [2, { kind: 'data', id: 'y', data: Uint8Array.of(2) }]
    ])
    expect(decided[0].booth).toEqual(['a'])
    expect(drain(p)).toEqual([])
    expect(p.status()).toMatchObject({ commit: 2, applied: 2, role: 'leader' })
  })

  it.each<[string, unknown]>([
    ['no object', 'x'],
    ['an empty id', { id: '', data: new Uint8Array() }],
    ['a long id', { id: 'x'.repeat(300), data: new Uint8Array() }],
    ['data that is not bytes', { id: 'x', data: 'text' }]
  ])('refuses a proposal with %s and changes nothing', (_, bad) => {
    const p = leader()
    const before = p.status()
    expect(() => { p.propose(bad as { id: string, data: Uint8Array }) }).toThrow(InvalidProposalError)
    expect(p.status()).toEqual(before)
    expect(p.hasReady()).toBe(false)
  })

  it('refuses proposals on a follower with NotLeaderError naming the leader', () => {
    const p = createPaxos(config({ id: 'b', booth: ['a', 'b', 'c'] }))
    drain(p)
    let err: NotLeaderError | undefined
    try {
      p.propose({ id: 'x', data: new Uint8Array() })
    } catch (e) {
      err = e as NotLeaderError
    }
    expect(err?.name).toBe('NotLeaderError')
    expect(err?.leader).toBeUndefined()
    p.step({ type: 'heartbeat', from: 'a', to: 'b', ballot: { round: 1, proposer: 'a' }, commit: 0 })
    expect(() => { p.propose({ id: 'x', data: new Uint8Array() }) }).toThrow(expect.objectContaining({ name: 'NotLeaderError', leader: 'a' }))
  })

  it('takes no accept far above the slots it knows decided: it follows the leader and asks to catch up instead', () => {
    const member = createPaxos(config({ id: 'b', booth: ['a', 'b', 'c'], window: 2 }))
    drain(member)
    const ballot = { round: 1, proposer: 'a' }
    const accept = (slot: number, commit = 0): Message => ({ type: 'accept', from: 'a', to: 'b', ballot, slot, value: { kind: 'data', id: `v${slot}`, data: new Uint8Array(1) }, booth: ['a', 'b', 'c'], commit })
    // 16 windows of 2 slots: slot 33 is past what it takes while it knows nothing decided
    member.step(accept(33, 32))
    const far = drain(member)
    expect(far.flatMap(rd => rd.messages)).toEqual([expect.objectContaining({ type: 'catchup', to: 'a', slot: 1 })])
    expect(far.flatMap(rd => rd.persist.entries)).toEqual([])
    expect(member.status().leader).toBe('a')
    member.step(accept(32))
    const near = drain(member)
    expect(near.flatMap(rd => rd.messages)).toEqual([expect.objectContaining({ type: 'accepted', slot: 32 })])
  })

  it('after its votes were lost, counts no promise of its own: a majority of the booth without it must promise; then it counts again', () => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'], forgotVotes: true }))
    p.tick()
    const prepares = drain(p).flatMap(rd => rd.messages).filter(m => m.type === 'prepare')
    expect(prepares.map(m => m.to).sort()).toEqual(['b', 'c'])
    const ballot = { round: 1, proposer: 'a' }
    const promise = (from: string): Message => ({ type: 'promise', from, to: 'a', ballot, commit: 0, booths: [{ slot: 1, members: ['a', 'b', 'c'] }], entries: [] })
    // its own promise (step() delivers it like any) and b's: a majority with it, not without it
    p.step(promise('a'))
    p.step(promise('b'))
    drain(p)
    expect(p.status().role).toBe('candidate')
    p.step(promise('c'))
    drain(p)
    expect(p.status().role).toBe('leader')
  })

  it('a candidate short of a majority fetches the decided values a promiser holds beyond its own, not only those the promise carries', () => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'], forgotVotes: true }))
    p.tick()
    const prepare = drain(p).flatMap(rd => rd.messages).find(m => m.type === 'prepare')
    const ballot = prepare?.ballot ?? { round: 1, proposer: 'a' }
    // b decided up to 40: its promise alone is no majority (a's own does not count), but a asks b for the rest
    p.step({ type: 'promise', from: 'b', to: 'a', ballot, commit: 40, booths: [{ slot: 1, members: ['a', 'b', 'c'] }], entries: [] })
    const asks = drain(p).flatMap(rd => rd.messages).filter(m => m.type === 'catchup')
    expect(asks).toEqual([expect.objectContaining({ type: 'catchup', to: 'b', slot: 1 })])
    expect(p.status().role).toBe('candidate')
  })

  it('after its votes were lost, counts its own promise again once the driver says the booth counts it (restoreVotes)', () => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'], forgotVotes: true }))
    expect(p.votesForgotten).toBe(true)
    p.restoreVotes()
    expect(p.votesForgotten).toBe(false)
    p.tick()
    const prepare = drain(p).flatMap(rd => rd.messages).find(m => m.type === 'prepare')
    const ballot = prepare?.ballot ?? { round: 1, proposer: 'a' }
    const promise = (from: string): Message => ({ type: 'promise', from, to: 'a', ballot, commit: 0, booths: [{ slot: 1, members: ['a', 'b', 'c'] }], entries: [] })
    // its own promise and b's are a majority now
    p.step(promise('a'))
    p.step(promise('b'))
    drain(p)
    expect(p.status().role).toBe('leader')
  })

  it('catchUpFrom asks the peer said to have decided further, once, and not for what is decided here', () => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'], election: { mode: 'fixed', proposer: 'b' } }))
    drain(p)
    p.catchUpFrom('a', 5)
    p.catchUpFrom('c', 0)
    p.catchUpFrom('c', 7)
    const asks = drain(p).flatMap(rd => rd.messages).filter(m => m.type === 'catchup')
    expect(asks).toEqual([expect.objectContaining({ type: 'catchup', to: 'c', slot: 1 })])
    expect(p.status().heard).toBe(7)
  })

  it('a refusal naming a made-up round at the limit lifts the next campaign by MAX_ROUND_JUMP at most, and the chain goes on', () => {
    const booths = [{ slot: 1, members: ['a', 'b', 'c'] }]
    const p = createPaxos(config({ booth: ['a', 'b', 'c'] }))
    const prepares = (): Array<Extract<Message, { type: 'prepare' }>> =>
      drain(p).flatMap(rd => rd.messages).filter((m): m is Extract<Message, { type: 'prepare' }> => m.type === 'prepare')
    const promise = (from: string, round: number): Message => ({ type: 'promise', from, to: 'a', ballot: { round, proposer: 'a' }, commit: 0, booths, entries: [] })
    p.campaign()
    const first = prepares()[0].ballot.round
    p.step(promise('b', first))
    p.step(promise('c', first))
    drain(p)
    expect(p.status().role).toBe('leader')
    // one made-up refusal (a member of an open network forged it): the promise it names is a's, at round 2^52
    p.step({ type: 'nack', from: 'b', to: 'a', ballot: { round: first, proposer: 'a' }, promised: { round: 2 ** 52, proposer: 'a' } })
    drain(p)
    p.campaign()
    const next = prepares()[0].ballot.round
    expect(next).toBeGreaterThan(first)
    expect(next).toBeLessThanOrEqual(first + MAX_ROUND_JUMP + 1)
    // the honest members promise it: a leads again and decides
    p.step(promise('b', next))
    p.step(promise('c', next))
    drain(p)
    expect(p.status().role).toBe('leader')
    p.propose({ id: 'x', data: Uint8Array.of(1) })
    const accepts = drain(p).flatMap(rd => rd.messages).filter((m): m is Extract<Message, { type: 'accept' }> => m.type === 'accept')
    expect(accepts.length).toBeGreaterThan(0)
    for (const m of accepts) p.step({ type: 'accepted', from: m.to, to: 'a', ballot: m.ballot, slot: m.slot } as Message)
    expect(drain(p).flatMap(rd => rd.decided).map(d => d.value)).toContainEqual({ kind: 'data', id: 'x', data: Uint8Array.of(1) })
  })

  describe('a vehicle restarted from a data dir older than its votes', () => {
    const booth = ['a', 'b', 'c']
    const booths = [{ slot: 1, members: booth }]
    // what its data dir held: it led at round 1 and decided slot 1
    const restored = (): Paxos => createPaxos(config({ booth, applied: 1 }), {
      hardState: { promised: { round: 1, proposer: 'a' }, round: 1, commit: 1, compacted: 0, booths },
      entries: [{ slot: 1, ballot: { round: 1, proposer: 'a' }, value: { kind: 'noop' }, booth, decided: true }]
    })
    const prepares = (p: Paxos): Message[] => drain(p).flatMap(rd => rd.messages).filter(m => m.type === 'prepare')
    const promise = (from: string, round: number, over: Partial<Extract<Message, { type: 'promise' }>> = {}): Message =>
      ({ type: 'promise', from, to: 'a', ballot: { round, proposer: 'a' }, commit: 1, booths, entries: [], ...over })

    it.each<[string, (round: number) => Message]>([
      ['a member saw a slot decided past what it holds', round => promise('b', round, { commit: 3 })],
      ['a member accepted a value of ours past what it holds', round => promise('b', round, { entries: [{ slot: 2, ballot: { round: 1, proposer: 'a' }, value: { kind: 'noop' }, booth, decided: false }] })],
      ['a member accepted at the round it campaigns with, which it has not used', round => promise('b', round, { commit: 1, entries: [{ slot: 1, ballot: { round, proposer: 'a' }, value: { kind: 'noop' }, booth, decided: false }] })]
    ])('%s: its own promise counts no more, in this campaign and the next, until it leads', (_, shows) => {
      const p = restored()
      p.tick()
      const round = (prepares(p)[0] as Extract<Message, { type: 'prepare' }>).ballot.round
      expect(p.votesForgotten).toBe(false)
      p.step(shows(round))
      drain(p)
      expect(p.votesForgotten).toBe(true)
      // b stays silent: a's stale promise and c's would be a majority
      p.campaign()
      const next = (prepares(p).find(m => m.to === 'c') as Extract<Message, { type: 'prepare' }>).ballot.round
      p.step(promise('c', next))
      for (let i = 0; i < 20; i++) { p.tick(); drain(p) }
      expect(p.status().role).toBe('candidate')
      const last = p.status().ballot.round
      p.step(promise('b', last, { commit: 1 }))
      p.step(promise('c', last))
      drain(p)
      expect(p.status().role).toBe('leader')
      expect(p.votesForgotten).toBe(false)
    })

    it('a member refuses with a promise of a round of ours above every round it knows of: its own promise counts no more', () => {
      const p = restored()
      p.tick()
      const round = (prepares(p)[0] as Extract<Message, { type: 'prepare' }>).ballot.round
      p.step({ type: 'nack', from: 'b', to: 'a', ballot: { round, proposer: 'a' }, promised: { round: round + 3, proposer: 'a' } })
      drain(p)
      expect(p.votesForgotten).toBe(true)
    })

    it('a member whose promise shows nothing lost changes nothing: it leads with its own promise counted', () => {
      const p = restored()
      p.tick()
      const round = (prepares(p)[0] as Extract<Message, { type: 'prepare' }>).ballot.round
      p.step(promise('b', round))
      p.step(promise('c', round))
      drain(p)
      expect(p.votesForgotten).toBe(false)
      expect(p.status().role).toBe('leader')
    })
  })

  it('recognises duplicates while queued and once decided', () => {
    const p = leader()
    p.propose({ id: 'x', data: new Uint8Array() })
    expect(() => { p.propose({ id: 'x', data: new Uint8Array() }) }).toThrow(DuplicateProposalError)
    drain(p)
    expect(() => { p.propose({ id: 'x', data: new Uint8Array() }) }).toThrow(expect.objectContaining({ name: 'DuplicateProposalError', id: 'x', slot: 1 }))
  })

  it('drops proposals beyond maxPending with ProposalDroppedError', () => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'], maxPending: 1, window: 1 }))
    p.tick()
    drain(p)
    for (const from of ['b', 'c']) {
      p.step({ type: 'promise', from, to: 'a', ballot: { round: 1, proposer: 'a' }, commit: 0, booths: [{ slot: 1, members: ['a', 'b', 'c'] }], entries: [] })
    }
    expect(p.status().role).toBe('leader')
    p.propose({ id: 'in-flight', data: new Uint8Array() })
    p.propose({ id: 'queued', data: new Uint8Array() })
    expect(() => { p.propose({ id: 'more', data: new Uint8Array() }) }).toThrow(ProposalDroppedError)
    expect(p.status()).toMatchObject({ inflight: 1, pending: 1 })
  })

  it.each<[string, unknown]>([
    ['no object', null],
    ['an unknown type', { type: 'gossip', from: 'b', to: 'a' }],
    ['another recipient', { type: 'catchup', from: 'b', to: 'z', slot: 1 }],
    ['no sender', { type: 'catchup', to: 'a', slot: 1 }],
    ['slot 0', { type: 'catchup', from: 'b', to: 'a', slot: 0 }],
    ['a negative round', { type: 'prepare', from: 'b', to: 'a', ballot: { round: -1, proposer: 'b' }, slot: 1 }],
    // the next campaign goes one above: a round it could not encode would stop the chain
    ['a round above 2^52', { type: 'nack', from: 'b', to: 'a', ballot: { round: 1, proposer: 'a' }, promised: { round: 2 ** 52 + 1, proposer: 'b' } }],
    ['a fractional slot', { type: 'accept', from: 'a', to: 'a', ballot: { round: 1, proposer: 'a' }, slot: 1.5, value: { kind: 'noop' }, booth: ['a'], commit: 0 }],
    ['a bad value kind', { type: 'accept', from: 'a', to: 'a', ballot: { round: 1, proposer: 'a' }, slot: 1, value: { kind: 'evil' }, booth: ['a'], commit: 0 }],
    ['data that is not bytes', { type: 'accept', from: 'a', to: 'a', ballot: { round: 1, proposer: 'a' }, slot: 1, value: { kind: 'data', id: 'x', data: [1] }, booth: ['a'], commit: 0 }],
    ['an empty booth', { type: 'accept', from: 'a', to: 'a', ballot: { round: 1, proposer: 'a' }, slot: 1, value: { kind: 'noop' }, booth: [], commit: 0 }],
    ['a ballot of someone else', { type: 'prepare', from: 'b', to: 'a', ballot: { round: 3, proposer: 'a' }, slot: 1 }],
    ['a ballot of a non-proposer', { type: 'prepare', from: 'b', to: 'a', ballot: { round: 3, proposer: 'b' }, slot: 1 }],
    ['round 0', { type: 'heartbeat', from: 'a', to: 'a', ballot: { round: 0, proposer: 'a' }, commit: 0 }],
    ['no epochs', { type: 'promise', from: 'b', to: 'a', ballot: { round: 1, proposer: 'a' }, commit: 0, booths: [], entries: [] }],
    ['a malformed entry', { type: 'promise', from: 'b', to: 'a', ballot: { round: 1, proposer: 'a' }, commit: 0, booths: [{ slot: 1, members: ['a'] }], entries: [{ slot: 1 }] }],
    ['a malformed decided entry', { type: 'decided', from: 'b', to: 'a', commit: 1, entries: [{ slot: 1, value: { kind: 'noop' } }] }],
    ['a pre-prepare of a non-proposer', { type: 'prePrepare', from: 'b', to: 'a', ballot: { round: 3, proposer: 'b' } }],
    ['a pre-prepare carrying a ballot of someone else', { type: 'prePrepare', from: 'b', to: 'a', ballot: { round: 3, proposer: 'a' } }],
    ['a pre-promise whose granted is no boolean', { type: 'prePromise', from: 'b', to: 'a', ballot: { round: 2, proposer: 'a' }, granted: 'yes', promised: { round: 1, proposer: 'a' } }],
    ['a pre-promise without its promise', { type: 'prePromise', from: 'b', to: 'a', ballot: { round: 2, proposer: 'a' }, granted: true }],
    // a chain with one proposer: no acceptor promises anyone else's ballot
    ['a nack naming a promise of a ballot that may not lead', { type: 'nack', from: 'b', to: 'a', ballot: { round: 1, proposer: 'a' }, promised: { round: 2 ** 52, proposer: 'b' } }],
    ['a pre-promise naming a promise of a ballot that may not lead', { type: 'prePromise', from: 'b', to: 'a', ballot: { round: 2, proposer: 'a' }, granted: false, promised: { round: 5, proposer: 'b' } }]
  ])('refuses a message with %s and changes nothing', (_, bad) => {
    const p = createPaxos(config({ booth: ['a', 'b', 'c'] }))
    drain(p)
    const before = p.status()
    expect(() => { p.step(bad as Message) }).toThrow(InvalidMessageError)
    expect(p.status()).toEqual(before)
    expect(p.hasReady()).toBe(false)
  })

  it('refuses booth changes that are malformed or not from the leader', () => {
    const p = leader()
    expect(() => { p.changeBooth([]) }).toThrow(InvalidBoothError)
    expect(() => { p.changeBooth(['a', 'a']) }).toThrow(InvalidBoothError)
    expect(p.status().pending).toBe(0)
    const f = createPaxos(config({ id: 'b', booth: ['a', 'b'] }))
    expect(() => { f.changeBooth(['a']) }).toThrow(NotLeaderError)
  })

  it('only lets the fixed proposer or a candidate campaign', () => {
    expect(() => { createPaxos(config({ id: 'b' })).campaign() }).toThrow(ElectionDisabledError)
    const elected = createPaxos(config({ id: 'z', election: { mode: 'elected', candidates: [{ id: 'a', priority: 1 }] } }))
    expect(() => { elected.campaign() }).toThrow(ElectionDisabledError)
  })

  it('changes an elected chain\'s candidates in place: a leader keeps its ballot, a new candidate is heard, a bad list or a fixed chain is refused', () => {
    const elected = (id: string, booth: string[]): Paxos => createPaxos(config({ id, booth, election: { mode: 'elected', candidates: [{ id: 'a', priority: 0 }] } }))
    const a = elected('a', ['a'])
    for (let i = 0; i < 30 && a.status().role !== 'leader'; i++) {
      a.tick()
      drain(a)
    }
    expect(a.status().role).toBe('leader')
    const ballot = a.status().ballot
    a.setCandidates([{ id: 'a', priority: 0 }, { id: 'b', priority: 5 }])
    for (let i = 0; i < 30; i++) {
      a.tick()
      drain(a)
    }
    expect(a.status()).toMatchObject({ role: 'leader', ballot })
    expect(() => { a.setCandidates([]) }).toThrow(PaxosConfigError)
    expect(() => { a.setCandidates([{ id: '', priority: 0 }]) }).toThrow(PaxosConfigError)
    expect(() => { leader().setCandidates([{ id: 'a', priority: 0 }]) }).toThrow(PaxosConfigError)

    // a follower hears only candidates: b's heartbeat is refused until b is one
    const f = elected('f', ['a', 'f'])
    const heartbeat: Message = { type: 'heartbeat', from: 'b', to: 'f', ballot: { round: 1, proposer: 'b' }, commit: 0 }
    expect(() => { f.step(heartbeat) }).toThrow(InvalidMessageError)
    f.setCandidates([{ id: 'a', priority: 0 }, { id: 'b', priority: 0 }])
    f.step(heartbeat)
    expect(f.status().leader).toBe('b')
  })

  it('changes its bound on undecided values in place, and refuses one that is not a positive number', () => {
    const p = createPaxos(config({ id: 'b', booth: ['a', 'b'], maxUndecidedBytes: 8 }))
    const accept = (slot: number, id: string): Message => ({ type: 'accept', from: 'a', to: 'b', ballot: { round: 1, proposer: 'a' }, slot, value: { kind: 'data', id, data: new Uint8Array(6) }, booth: ['a', 'b'], commit: 0 })
    p.step(accept(1, 'x'))
    p.step(accept(2, 'y'))
    drain(p)
    expect(p.undecidedBytes()).toBe(6)
    expect(p.votesWithheld).toBe(1)
    p.setMaxUndecidedBytes(12)
    p.step(accept(2, 'y'))
    expect(drain(p).flatMap(rd => rd.messages)).toEqual([expect.objectContaining({ type: 'accepted', slot: 2 })])
    expect(p.undecidedBytes()).toBe(12)
    for (const bad of [0, -1, Number.NaN]) expect(() => { p.setMaxUndecidedBytes(bad) }).toThrow(PaxosConfigError)
  })

  it('enforces the Ready cycle', () => {
    const p = leader()
    p.propose({ id: 'x', data: new Uint8Array() })
    const rd = p.ready()
    expect(rd).toBeDefined()
    expect(p.ready()).toBeUndefined()
    expect(() => { p.compact(0) }).toThrow(ReadyStateError)
    expect(() => { p.advance({ ...(rd as Ready) }) }).toThrow(ReadyStateError)
    p.advance(rd as Ready)
    expect(() => { p.advance(rd as Ready) }).toThrow(ReadyStateError)
    expect(() => { p.compact(2) }).toThrow(ReadyStateError)
    p.compact(1)
    expect(p.ready()?.persist).toMatchObject({ compactTo: 1, hardState: { compacted: 1 } })
  })

  it('restarts from persisted state only, re-delivering what was not applied', () => {
    const p = leader()
    p.propose({ id: 'x', data: new Uint8Array() })
    p.propose({ id: 'y', data: new Uint8Array() })
    const readies = drain(p)
    const last = readies.filter(rd => rd.persist.hardState != null).at(-1)?.persist.hardState
    const entries = readies.flatMap(rd => rd.persist.entries)
    expect(last?.commit).toBe(2)
    // the application applied slot 1 only before the crash
    const q = createPaxos(config({ applied: 1 }), { hardState: structuredClone(last as NonNullable<typeof last>), entries })
    expect(q.status()).toMatchObject({ role: 'follower', commit: 2, applied: 1, promised: { round: 1, proposer: 'a' } })
    expect(q.ready()?.decided.map(d => d.slot)).toEqual([2])
    q.tick()
    expect(q.status().ballot.round).toBe(2)
  })

  it('reports the highest commit it heard of while it catches up, and nothing above its own once caught up', () => {
    const b = createPaxos(config({ id: 'b', booth: ['a', 'b', 'c'] }))
    drain(b)
    expect(b.status()).toMatchObject({ commit: 0, heard: 0 })
    // the leader says slots up to 3 are decided: b holds none of them and asks for them
    b.step({ type: 'heartbeat', from: 'a', to: 'b', ballot: { round: 1, proposer: 'a' }, commit: 3 })
    expect(b.status()).toMatchObject({ commit: 0, heard: 3, leader: 'a' })
    expect(drain(b).flatMap(rd => rd.messages).find(m => m.type === 'catchup')).toMatchObject({ to: 'a', slot: 1 })
    const value = (id: string): { kind: 'data', id: string, data: Uint8Array } => ({ kind: 'data', id, data: new Uint8Array([1]) })
    b.step({
      type: 'decided',
      from: 'a',
      to: 'b',
      commit: 3,
      entries: [1, 2, 3].map(slot => ({ slot, ballot: { round: 1, proposer: 'a' }, value: value(`v${slot}`), booth: ['a', 'b', 'c'] }))
    })
    drain(b)
    expect(b.status()).toMatchObject({ commit: 3, heard: 3 })
  })

  describe('a history lost on one side (a vehicle that lost its database and decided its chain alone)', () => {
    const data = (id: string): Value => ({ kind: 'data', id, data: new TextEncoder().encode(id) })
    const booths = [{ slot: 1, members: ['a', 'b', 'c'] }]
    /** a decided x1, x2 (after its database was lost: b and c decided y1..y3 of the same chain before). */
    function restarted (): Paxos {
      const entries = ['x1', 'x2'].map((id, i) => ({ slot: i + 1, ballot: { round: 1, proposer: 'a' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
      return createPaxos(config({ booth: ['a', 'b', 'c'] }), { hardState: { promised: { round: 1, proposer: 'a' }, round: 1, commit: 2, compacted: 0, booths }, entries })
    }
    /** `restarted()` campaigning: its ballot, and its own promise (commit 2) already counted. */
    function campaigning (): { p: Paxos, ballot: Ballot } {
      const p = restarted()
      p.tick()
      const prepare = drain(p).flatMap(rd => rd.messages).find(m => m.type === 'prepare')
      const ballot = prepare?.type === 'prepare' ? prepare.ballot : { round: 0, proposer: '' }
      p.step({ type: 'promise', from: 'a', to: 'a', ballot, commit: 2, booths, entries: [] })
      return { p, ballot }
    }
    const promise = (from: string, ballot: Ballot, ids: string[], commit = 3): Message => ({
      type: 'promise',
      from,
      to: 'a',
      ballot,
      commit,
      booths,
      entries: ids.map((id, i) => ({ slot: i + 2, ballot: { round: 0, proposer: '' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
    })

    it('an acceptor\'s promise carries the decided value just below the slots asked about, for the candidate to compare', () => {
      const b = createPaxos(config({ id: 'b', booth: ['a', 'b', 'c'] }), {
        hardState: { promised: { round: 1, proposer: 'a' }, round: 0, commit: 3, compacted: 0, booths },
        entries: ['y1', 'y2', 'y3'].map((id, i) => ({ slot: i + 1, ballot: { round: 1, proposer: 'a' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
      })
      b.step({ type: 'prepare', from: 'a', to: 'b', ballot: { round: 2, proposer: 'a' }, slot: 3 })
      const answer = drain(b).flatMap(rd => rd.messages).find(m => m.type === 'promise')
      expect(answer?.type === 'promise' ? answer.entries.map(e => [e.slot, e.value.kind === 'data' ? e.value.id : e.value.kind, e.decided]) : []).toEqual([[2, 'y2', true], [3, 'y3', true]])
    })

    it('an acceptor whose decided history ends below the slots asked about carries its last decided value: the candidate decided that slot too', () => {
      const b = createPaxos(config({ id: 'b', booth: ['a', 'b', 'c'] }), {
        hardState: { promised: { round: 1, proposer: 'a' }, round: 0, commit: 2, compacted: 0, booths },
        entries: ['y1', 'y2'].map((id, i) => ({ slot: i + 1, ballot: { round: 1, proposer: 'a' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
      })
      b.step({ type: 'prepare', from: 'a', to: 'b', ballot: { round: 2, proposer: 'a' }, slot: 6 })
      const answer = drain(b).flatMap(rd => rd.messages).find(m => m.type === 'promise')
      expect(answer?.type === 'promise' ? answer.entries.map(e => [e.slot, e.value.kind === 'data' ? e.value.id : e.value.kind, e.decided]) : []).toEqual([[2, 'y2', true]])
    })

    it('a candidate that decided more slots alone than the member\'s history has sees the divergence at the member\'s last decided slot', () => {
      // a decided x1..x5 alone; b decided y1, y2 of the old history and nothing past them
      const entries = ['x1', 'x2', 'x3', 'x4', 'x5'].map((id, i) => ({ slot: i + 1, ballot: { round: 1, proposer: 'a' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
      const p = createPaxos(config({ booth: ['a', 'b', 'c'] }), { hardState: { promised: { round: 1, proposer: 'a' }, round: 1, commit: 5, compacted: 0, booths }, entries })
      p.tick()
      const prepare = drain(p).flatMap(rd => rd.messages).find(m => m.type === 'prepare')
      expect(prepare?.type === 'prepare' ? prepare.slot : 0).toBe(6)
      const ballot = prepare?.type === 'prepare' ? prepare.ballot : { round: 0, proposer: '' }
      const b = createPaxos(config({ id: 'b', booth: ['a', 'b', 'c'] }), {
        hardState: { promised: { round: 1, proposer: 'a' }, round: 0, commit: 2, compacted: 0, booths },
        entries: ['y1', 'y2'].map((id, i) => ({ slot: i + 1, ballot: { round: 1, proposer: 'a' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
      })
      b.step({ type: 'prepare', from: 'a', to: 'b', ballot, slot: 6 })
      const answer = drain(b).flatMap(rd => rd.messages).find(m => m.type === 'promise')
      expect(answer).toBeDefined()
      p.step({ type: 'promise', from: 'a', to: 'a', ballot, commit: 5, booths, entries: [] })
      p.step(answer as Message)
      const readies = drain(p)
      expect(readies.flatMap(rd => rd.diverged ?? [])).toEqual([{ slot: 2, peer: 'b', fatal: true }])
      expect(p.status()).toMatchObject({ role: 'follower', commit: 5 })
    })

    it('a promise naming another value decided at a slot it decided is reported and not counted, none of its values is taken, and a fixed proposer ends its campaign', () => {
      const p = restarted()
      p.tick()
      const prepares = drain(p).flatMap(rd => rd.messages).filter(m => m.type === 'prepare')
      expect(prepares.map(m => m.type === 'prepare' ? m.slot : 0)).toEqual([3, 3])
      const ballot = prepares[0].type === 'prepare' ? prepares[0].ballot : { round: 0, proposer: '' }
      p.step({ type: 'promise', from: 'a', to: 'a', ballot, commit: 2, booths, entries: [] })
      p.step(promise('b', ballot, ['y2', 'y3']))
      p.step(promise('c', ballot, ['y2', 'y3']))
      const readies = drain(p)
      // one proposer: its campaign ends at the first (it cannot tell whose history is lost); c's answers none
      expect(readies.flatMap(rd => rd.diverged ?? [])).toEqual([{ slot: 2, peer: 'b', fatal: true }])
      expect(p.status()).toMatchObject({ role: 'follower', commit: 2 })
      // y3 is not decided on top of x2
      expect(readies.flatMap(rd => rd.decided)).toEqual([])
    })

    it('a divergence the driver found beside the values (a member compacted at the slot compared) is reported as one, and a fixed proposer ends its campaign', () => {
      const { p, ballot } = campaigning()
      p.reportDivergence('b', 2)
      const readies = drain(p)
      expect(readies.flatMap(rd => rd.diverged ?? [])).toEqual([{ slot: 2, peer: 'b', fatal: true }])
      // c's promise, counted otherwise, leads nowhere now
      p.step(promise('c', ballot, ['x2', 'x3']))
      expect(drain(p).flatMap(rd => rd.messages).filter(m => m.type === 'accept')).toEqual([])
      expect(p.status()).toMatchObject({ role: 'follower', commit: 2 })
    })

    it('on an elected chain a member that went another way is not counted, and the campaign leads with the others', () => {
      const entries = ['x1', 'x2'].map((id, i) => ({ slot: i + 1, ballot: { round: 1, proposer: 'a' }, value: data(id), booth: ['a', 'b', 'c'], decided: true }))
      const candidates = ['a', 'b', 'c'].map((id, i) => ({ id, priority: 3 - i }))
      const p = createPaxos(config({ booth: ['a', 'b', 'c'], election: { mode: 'elected', candidates } }), { hardState: { promised: { round: 1, proposer: 'a' }, round: 1, commit: 2, compacted: 0, booths }, entries })
      p.campaign()
      const prepare = drain(p).flatMap(rd => rd.messages).find(m => m.type === 'prepare')
      const ballot = prepare?.type === 'prepare' ? prepare.ballot : { round: 0, proposer: '' }
      p.step(promise('b', ballot, ['y2', 'y3']))
      let readies = drain(p)
      expect(readies.flatMap(rd => rd.diverged ?? [])).toEqual([{ slot: 2, peer: 'b', fatal: false }])
      expect(p.status().role).toBe('candidate')
      p.step(promise('c', ballot, ['x2'], 2))
      readies = drain(p)
      expect(p.status()).toMatchObject({ role: 'leader', commit: 2, ballot })
      expect(readies.flatMap(rd => rd.decided)).toEqual([])
    })

    it('a promise whose decided value there is the same counts as before', () => {
      const { p, ballot } = campaigning()
      p.step(promise('b', ballot, ['x2', 'x3']))
      p.step(promise('c', ballot, ['x2', 'x3']))
      const readies = drain(p)
      expect(readies.flatMap(rd => rd.diverged ?? [])).toEqual([])
      expect(p.status()).toMatchObject({ role: 'leader', commit: 3 })
      expect(readies.flatMap(rd => rd.decided).map(d => d.value.kind === 'data' ? d.value.id : d.value.kind)).toEqual(['x3'])
    })
  })
})
