/**
 * Two small parts of the node, alone: the pacing and bookkeeping of
 * catch-up asks and their answers (catchup.ts), and orphans, the values of
 * ended leaderships whose writers hear their fate once their slot is
 * decided (orphans.ts).
 */
import { describe, expect, it } from 'vitest'
import { answerCatchup, CatchupAnswers, CatchupAsks } from '../../../src/consensus/catchup.ts'
import { createPaxos } from '../../../src/consensus/index.ts'
import { settings } from '../../../src/consensus/config.ts'
import { PaxosLog } from '../../../src/consensus/log.ts'
import { Orphans } from '../../../src/consensus/orphans.ts'
import type { DroppedProposal, Message, Value } from '../../../src/consensus/types.ts'

const booth = ['a', 'b', 'c']
const ballot = { round: 1, proposer: 'a' }
const data = (id: string): Value => ({ kind: 'data', id, data: new Uint8Array([1]) })

function logWith (decided: number, compacted = 0): PaxosLog {
  const log = new PaxosLog(4, [{ slot: 1, members: booth }], 0, compacted)
  for (let slot = compacted + 1; slot <= decided; slot++) log.decide(slot, ballot, data(`v${slot}`), booth)
  return log
}

describe('catch-up asks', () => {
  it('asks for a slot once per wait, again at once for another slot or after rearm', () => {
    const asks = new CatchupAsks()
    expect(asks.ask('b', 5, 2)).toBe(true)
    expect(asks.ask('c', 5, 2)).toBe(false)
    asks.tick()
    expect(asks.ask('c', 5, 2)).toBe(false)
    asks.tick()
    expect(asks.ask('c', 5, 2)).toBe(true)
    expect(asks.ask('b', 6, 2)).toBe(true)
    asks.rearm()
    expect(asks.ask('b', 6, 2)).toBe(true)
  })

  it('remembers whom it asked (their answers count), the oldest going past 256', () => {
    const asks = new CatchupAsks()
    expect(asks.has('p0')).toBe(false)
    for (let i = 0; i <= 256; i++) {
      asks.rearm()
      asks.ask(`p${i}`, 1, 2)
    }
    expect(asks.has('p0')).toBe(false)
    expect(asks.has('p1')).toBe(true)
    expect(asks.has('p256')).toBe(true)
  })

  it('is answered with the decided values from the slot asked, a snapshot below the compacted point, or nothing', () => {
    const s = settings({ id: 'a', booth, election: { mode: 'fixed', proposer: 'a' }, electionTicks: 10, heartbeatTicks: 1, random: () => 0.5, maxCatchup: 2 })
    const log = logWith(5)
    const values = answerCatchup(log, s, { type: 'catchup', from: 'b', to: 'a', slot: 2 })
    expect(values).toMatchObject({ type: 'decided', to: 'b', commit: 5 })
    expect(values?.type === 'decided' ? values.entries.map(e => e.slot) : []).toEqual([2, 3])
    expect(answerCatchup(log, s, { type: 'catchup', from: 'b', to: 'a', slot: 6 })).toBeUndefined()
    log.compact(3)
    expect(answerCatchup(log, s, { type: 'catchup', from: 'b', to: 'a', slot: 3 })).toMatchObject({ type: 'snapshot', to: 'b', slot: 3 })
  })
})

describe('catch-up answers', () => {
  it('answers a peer\'s ask for a slot its last answer covered once per wait, at once for the slot after it', () => {
    const answers = new CatchupAnswers()
    expect(answers.mayAnswer('b', 1, 2)).toBe(true)
    answers.answered('b', 4)
    // the same ask again, or another within what went: not before the wait
    expect(answers.mayAnswer('b', 1, 2)).toBe(false)
    expect(answers.mayAnswer('b', 4, 2)).toBe(false)
    // the next batch, and other peers, at once
    expect(answers.mayAnswer('b', 5, 2)).toBe(true)
    expect(answers.mayAnswer('c', 1, 2)).toBe(true)
    answers.tick()
    expect(answers.mayAnswer('b', 1, 2)).toBe(false)
    answers.tick()
    // its answer may have been lost: asked again after the wait, answered again
    expect(answers.mayAnswer('b', 1, 2)).toBe(true)
  })

  it('a frame of 64 identical asks gets one answer (each answer is up to maxCatchupBytes, encoded anew)', () => {
    const p = createPaxos({ id: 'a', booth: ['a'], election: { mode: 'fixed', proposer: 'a' }, electionTicks: 10, heartbeatTicks: 1, random: () => 0 })
    const drain = (): Message[] => {
      const out: Message[] = []
      for (let rd = p.ready(); rd != null; rd = p.ready()) {
        out.push(...rd.messages)
        p.advance(rd)
      }
      return out
    }
    p.tick()
    drain()
    for (let i = 0; i < 3; i++) {
      p.propose({ id: `v${i}`, data: new Uint8Array([i]) })
      drain()
    }
    expect(p.status().commit).toBeGreaterThanOrEqual(3)
    for (let i = 0; i < 64; i++) p.step({ type: 'catchup', from: 'b', to: 'a', slot: 1 })
    const answers = drain().filter(m => m.type === 'decided')
    expect(answers).toHaveLength(1)
    expect(answers[0]).toMatchObject({ to: 'b', entries: expect.arrayContaining([expect.objectContaining({ slot: 1 })]) })
  })
})

describe('orphans', () => {
  it('tells nothing while the slot is open, then dropped if another value took it, and forgets one that was chosen', () => {
    const orphans = new Orphans()
    orphans.adopt([[2, 'v2'], [3, 'mine'], [3, 'also-mine'], [7, 'late']])
    expect(orphans.top()).toBe(7)
    const log = logWith(1)
    const dropped: DroppedProposal[] = []
    orphans.settle(log, 'b', dropped)
    expect(dropped).toEqual([])
    log.decide(2, ballot, data('v2'), booth)
    log.decide(3, ballot, data('v3'), booth)
    orphans.settle(log, 'b', dropped)
    // slot 2 chose the orphan itself: nothing to tell; slot 3 chose another value: both writes may go again, to b
    expect(dropped).toEqual([{ id: 'mine', leader: 'b' }, { id: 'also-mine', leader: 'b' }])
    expect(orphans.top()).toBe(7)
  })

  it('reports unknown an orphan whose slot was compacted here without being seen decided', () => {
    const orphans = new Orphans()
    orphans.adopt([[4, 'w']])
    const log = logWith(0)
    log.restore(5, [{ slot: 1, members: booth }])
    const dropped: DroppedProposal[] = []
    orphans.settle(log, undefined, dropped)
    expect(dropped).toEqual([{ id: 'w', unknown: true }])
    expect(orphans.top()).toBe(0)
  })
})
