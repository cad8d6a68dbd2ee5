/**
 * Orphans' slots get decided (heartbeatAck.fill, Leadership.fillTo): a deposed
 * leader's value sent past every decision learns its fate on an idle chain,
 * and nobody else can make the leader propose noops without end.
 */
import { describe, it, expect } from 'vitest'
import { Cluster } from './utils/cluster.ts'
import type { Message, PaxosConfig } from '../../../src/consensus/index.ts'

function cluster (ids: string[], booth: string[], priorities: Record<string, number>): Cluster {
  const configs: PaxosConfig[] = ids.map(id => ({
    id,
    booth,
    learners: [],
    election: { mode: 'elected', candidates: ids.map(i => ({ id: i, priority: priorities[i] ?? 0 })) },
    electionTicks: 10,
    heartbeatTicks: 1,
    idleHeartbeatTicks: 1,
    random: () => 0,
    window: 4,
    maxInflight: 4,
    announceToBooth: true
  }))
  const c = new Cluster({ configs })
  c.processAll()
  return c
}

function idle (c: Cluster, ticks: number): void {
  for (let t = 0; t < ticks; t++) {
    for (const id of c.ids()) c.paxos(id).tick()
    c.stabilize()
  }
}

describe('consensus - filling orphans\' slots', () => {
  it('a deposed leader outside the booth, following a leader below its failed campaign, still gets its orphan decided (a review)', () => {
    const c = cluster(['1', '2', '3', '4'], ['1', '2', '3'], { 1: 3, 2: 4, 3: 2, 4: 1 })
    c.paxos('4').campaign()
    c.stabilize()
    expect(c.paxos('4').status().role).toBe('leader')
    c.paxos('4').propose({ id: 'a', data: new Uint8Array([97]) })
    c.proposed('a', '4')
    c.processAll()
    // its accepts are lost; it campaigns again (a is an orphan now), and its prepares are lost too
    c.net = c.net.filter(m => !(m.msg.from === '4' && m.msg.type === 'accept'))
    c.paxos('4').campaign()
    c.processAll()
    c.net = c.net.filter(m => m.msg.from !== '4')
    // 2 leads at a ballot below 4's own promise
    c.paxos('2').campaign()
    c.stabilize()
    expect(c.paxos('2').status().role).toBe('leader')
    idle(c, 100)
    expect(c.node('4').open.has('a')).toBe(false)
    expect(c.node('4').dropped).toContain('a')
  })

  it('a fill asked by a node that may not lead queues nothing; asked by a candidate, no noops past a window beyond where the leadership began (a review)', () => {
    const c = cluster(['1', '2', '3'], ['1', '2', '3'], { 1: 2, 2: 1, 3: 0 })
    c.paxos('1').campaign()
    c.stabilize()
    idle(c, 5)
    expect(c.paxos('1').status().role).toBe('leader')
    const start = c.paxos('1').status().commit
    const ballot = c.paxos('1').status().ballot
    const ask = (from: string): void => {
      c.paxos('1').step({ type: 'heartbeatAck', from, to: '1', ballot, read: 0, fill: 1_000_000_000 } satisfies Message)
      c.stabilize()
      idle(c, 1)
    }
    for (let i = 0; i < 20; i++) ask('9')
    expect(c.paxos('1').status().commit).toBe(start)
    // a candidate's requests, however many: a window (4) past what the leadership began with, once
    for (let i = 0; i < 20; i++) ask('2')
    const filled = c.paxos('1').status().commit
    expect(filled).toBeGreaterThan(start)
    expect(filled).toBeLessThanOrEqual(start + 4)
    expect(c.node('2').applied.slice(start).every(d => d.value.kind === 'noop')).toBe(true)
  })
})
