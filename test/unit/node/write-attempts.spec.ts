import { describe, it, expect } from 'vitest'
import { earlierMayCommit, WriteAttempts } from '../../../src/node/write-attempts.ts'
import { CommitTimeoutError, ConsensusStoppedError, NoQuorumError, NotProposerError, ProposerUnreachableError } from '../../../src/node/consensus-errors.ts'
import { DiskFullError } from '../../../src/storage/errors.ts'

const PEER = '12D3KooWEuETk7hES42YJuq7u9unL1eDxf67Mur5YA43uv6JzT5Z'
const OTHER = '12D3KooWLJmvPzjZ3VToMbgjbgUTeyKachHPT9e19V1Bjy22wPUw'

describe('node - what the attempts of a shared-chain write heard', () => {
  it('says how many attempts at how many leaders, each kind of answer once with how often in a row, a peer id said again as "it"', () => {
    const a = new WriteAttempts()
    a.waited(new Error('the shared chain is electing a leader'))
    a.waited(new Error('the shared chain is electing a leader'))
    for (let i = 0; i < 3; i++) a.tried(PEER, new Error(`cannot reach ${PEER}, proposer of shared: no stream to ${PEER}: refused`))
    a.tried(OTHER, new Error(`no answer from ${OTHER}: timed out`), true)
    expect(a.toString()).toBe(`4 attempts at 2 leaders: the shared chain is electing a leader (×2); cannot reach ${PEER}, proposer of shared: no stream to it: refused (×3); ` +
      `no answer from ${OTHER}: timed out (cut off by the write's deadline)`)
    expect(new WriteAttempts().toString()).toBe('no leader to ask')
  })

  it('stays short however many attempts and answers: the first and the last kinds, the rest counted, each answer cut', () => {
    const a = new WriteAttempts()
    for (let i = 0; i < 500; i++) a.tried(i % 2 === 0 ? PEER : OTHER, new Error(`answer ${i} ${'x'.repeat(1_000)}`))
    const said = a.toString()
    expect(said).toMatch(/^500 attempts at 2 leaders: answer 0 x+…; answer 1 x+…; … 495 other answers …; answer 497 x+…; answer 498 x+…; answer 499 x+…$/)
    expect(said.length).toBeLessThan(1_200)
  })

  it('at the deadline: NoLeaderError when none may hold the write, else CommitTimeoutError naming who may hold it', () => {
    const none = new WriteAttempts()
    none.tried(PEER, new ProposerUnreachableError(`cannot reach ${PEER}: refused (nothing was sent: the write is not committed)`))
    expect(none.timedOut(500, false)).toMatchObject({
      name: 'NoLeaderError',
      mayHaveCommitted: false,
      message: `the write timed out after 500 ms: no shared-chain leader took it; nothing was written (1 attempt at 1 leader: cannot reach ${PEER}: refused (nothing was sent: the write is not committed))`
    })

    const leader = new WriteAttempts()
    leader.tried(PEER, new ProposerUnreachableError(`no answer from ${PEER}: reset`, true))
    leader.mayHold('leader')
    expect(none.stopped(new Error('cut'), false)).toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: false, message: 'this node stopped before a shared-chain leader took the write (cut): nothing was written' })
    expect(leader.stopped(new Error('cut'), true)).toMatchObject({ mayHaveCommitted: true, message: expect.stringMatching(/^this node stopped while its write was with the shared chain's leader \(cut\)/) })
    expect(leader.timedOut(500, true, 'a named b, not followed')).toMatchObject({
      name: 'CommitTimeoutError',
      mayHaveCommitted: true,
      message: 'the write timed out after 500 ms: a shared-chain leader took it (this attempt or an earlier one with the same key) and no answer came: it may still commit, ' +
        'whole or not at all (a retry with the same idempotency key is answered, not committed again) ' +
        `(1 attempt at 1 leader: no answer from ${PEER}: reset) (a named b, not followed)`
    })
  })

  it('at the deadline, a write this node proposed as the shared chain\'s leader is said to be its own proposal, not one a leader took', () => {
    const own = new WriteAttempts()
    // it led and proposed the write, then lost the lead; the new leader refused it, then none answered
    own.tried(PEER, new NotProposerError('leadership of shared moved'))
    own.mayHold('self')
    own.tried(OTHER, new NotProposerError(`${OTHER} does not lead shared`))
    const err = own.timedOut(500, false)
    expect(err).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true })
    expect(err.message).toMatch(/^the write timed out after 500 ms: this node proposed it as the shared chain's leader \(this attempt or an earlier one\) and it was not decided in time: it may still commit, whole or not at all \(a retry may commit it twice/)
    expect(err.message).not.toMatch(/a shared-chain leader took it/)

    expect(own.stopped(new Error('cut'), false)).toMatchObject({
      name: 'ConsensusStoppedError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/^this node stopped while its write was proposed here as the shared chain's leader, undecided \(cut\): it may still commit/)
    })

    // both: its own proposal, and a leader it went to after
    own.mayHold('leader')
    expect(own.timedOut(500, true).message).toMatch(/^the write timed out after 500 ms: this node proposed it as the shared chain's leader, and a leader it went to since took it \(this attempt or an earlier one with the same key\) and no answer came: it may still commit/)
  })

  it('at the deadline, a write this node handed back as the leader, that no leader holds, says so: not that no leader took it', () => {
    // it led when asked and handed the write back (lost the lead before proposing it), then no other leader took it
    const own = new WriteAttempts(PEER)
    own.tried(PEER, new NotProposerError(`no longer the leader of shared; ${OTHER} is`, OTHER))
    own.tried(OTHER, new ProposerUnreachableError(`cannot reach ${OTHER}, proposer of shared: refused (nothing was sent: the write is not committed)`))
    const err = own.timedOut(500, false)
    expect(err).toMatchObject({ name: 'NoLeaderError', mayHaveCommitted: false })
    expect(err.message).toMatch(/^the write timed out after 500 ms: this node handed it back as the shared chain's leader \(never proposed, or its slot chose another value\) and no other leader took it; nothing was written \(2 attempts at 2 leaders: /)
    expect(own.stopped(new Error('cut'), false)).toMatchObject({
      name: 'ConsensusStoppedError',
      mayHaveCommitted: false,
      message: 'this node stopped after it handed the write back as the shared chain\'s leader (never proposed, or its slot chose another value), before another leader took it (cut): nothing was written'
    })

    // attempts at other leaders only: as it was
    const others = new WriteAttempts(PEER)
    others.tried(OTHER, new ProposerUnreachableError(`cannot reach ${OTHER}: refused (nothing was sent: the write is not committed)`))
    expect(others.timedOut(500, false).message).toMatch(/^the write timed out after 500 ms: no shared-chain leader took it; nothing was written/)
  })

  it('a retry that found no quorum while an earlier attempt may commit names where that attempt went: proposed here, or to a leader', () => {
    const noQuorum = new NoQuorumError('no quorum for shared: 1 of 3 booth members answered')
    const none = new WriteAttempts()
    expect(none.earlier()).toBeUndefined()
    // nothing earlier may hold it: the retry's own answer stands
    expect(earlierMayCommit(noQuorum, none.earlier(), true)).toBe(noQuorum)

    const own = new WriteAttempts()
    own.mayHold('self')
    const err = earlierMayCommit(noQuorum, own.earlier(), true)
    expect(err).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true })
    expect(err.message).toMatch(/^an earlier attempt of this write was proposed here while this node led the shared chain, and may still commit, whole or not at all \(a retry with the same idempotency key is answered, not committed again\); this one found no quorum: no quorum for shared/)

    const leader = new WriteAttempts()
    leader.mayHold('leader')
    expect(earlierMayCommit(noQuorum, leader.earlier(), false).message).toMatch(/^an earlier attempt of this write went to a shared-chain leader, and may still commit/)
    leader.mayHold('self')
    expect(earlierMayCommit(noQuorum, leader.earlier(), false).message).toMatch(/^an earlier attempt of this write was proposed here while this node led the shared chain and went to a leader since, and may still commit/)
    // only a NoQuorumError says "nothing written" of what an earlier attempt may still commit
    const other = new NotProposerError('moved')
    expect(earlierMayCommit(other, leader.earlier(), false)).toBe(other)
  })
  it('a retry this node\'s own replica failed with no flag (a full disk, a stopped consensus) while an earlier attempt may commit keeps its kind, flagged, naming that attempt', () => {
    const leader = new WriteAttempts()
    leader.mayHold('leader')
    // the replica halted on a full disk with the retry buffered: "not proposed" of this attempt, and it was the whole answer (a helper's reading, 2026-12-03)
    const full = new DiskFullError('no space left on device: the write was not proposed; consensus of shared stopped (restart the node once there is room: nothing acknowledged was lost)')
    const err = earlierMayCommit(full, leader.earlier(), false)
    expect(err).toMatchObject({ name: 'DiskFullError', mayHaveCommitted: true })
    expect(err.message).toBe(`${full.message}; an earlier attempt of this write went to a shared-chain leader, and may still commit, whole or not at all (a retry may commit it twice: an idempotency key makes a retry safe)`)
    // nothing earlier may hold it: the retry's own answer stands
    expect(earlierMayCommit(full, new WriteAttempts().earlier(), false)).toBe(full)

    const stopped = new ConsensusStoppedError('consensus of shared is stopped')
    expect(earlierMayCommit(stopped, leader.earlier(), true)).toMatchObject({
      name: 'ConsensusStoppedError',
      mayHaveCommitted: true,
      message: 'consensus of shared is stopped; an earlier attempt of this write went to a shared-chain leader, and may still commit, whole or not at all (a retry with the same idempotency key is answered, not committed again)'
    })
    // one that says itself it may commit stays as it is
    const proposed = new DiskFullError('no space left on device: the write was proposed and may still commit', true)
    expect(earlierMayCommit(proposed, leader.earlier(), false)).toBe(proposed)
    const timedOut = new CommitTimeoutError('proposed, not decided in time')
    expect(earlierMayCommit(timedOut, leader.earlier(), false)).toBe(timedOut)
  })
})
