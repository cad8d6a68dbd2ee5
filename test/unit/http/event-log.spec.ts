import { describe, it, expect } from 'vitest'
import { TypedEventEmitter } from '@libp2p/interface'
import { EventLog } from '../../../src/http/dashboard/event-log.ts'
import type { VGuardNode, VGuardNodeEvents } from '../../../src/node/index.ts'

const PRUNED = new Set<keyof VGuardNodeEvents>(['storage:pruned'])
const BOTH = new Set<keyof VGuardNodeEvents>(['storage:pruned', 'peer:discovered'])

/** An emitter of the node's events, all the log listens to. */
function emitter (): TypedEventEmitter<VGuardNodeEvents> & VGuardNode {
  return new TypedEventEmitter<VGuardNodeEvents>() as TypedEventEmitter<VGuardNodeEvents> & VGuardNode
}

describe('http - event log', () => {
  it('replays what came after an id while it holds every later event, and says when it does not', () => {
    const node = emitter()
    const log = new EventLog(node, { maxEvents: 3, maxBytes: 10_000 })
    log.start()
    const ids: string[] = []
    log.subscribe(e => { ids.push(`${log.name}.${e.seq}`) })
    const pruned = (n: number): void => { node.safeDispatchEvent('storage:pruned', { detail: { freedBytes: n, chains: [], overBound: false, reason: 'policy', failed: [] } }) }
    for (let i = 1; i <= 5; i++) pruned(i)
    expect(ids).toHaveLength(5)
    // it holds 3, 4, 5: after 2 nothing is missed, after 1 event 2 is
    expect(log.since(ids[1], PRUNED)).toMatchObject({ events: [{ seq: 3 }, { seq: 4 }, { seq: 5 }] })
    expect(log.since(ids[4], PRUNED)).toEqual({ events: [] })
    expect(log.since(ids[0], PRUNED)).toMatchObject({ lost: expect.stringMatching(/no longer held/) })
    expect(log.since(`${log.name}.9`, PRUNED)).toMatchObject({ lost: expect.stringMatching(/never sent/) })
    expect(log.since('0000000000000000.1', PRUNED)).toMatchObject({ lost: expect.stringMatching(/restarted/) })
    expect(EventLog.wellFormed('x.1')).toBe(false)
    // one event larger than the byte bound: kept nowhere, so only a reader that had it resumes
    const small = new EventLog(node, { maxBytes: 200 })
    small.start()
    let last = 0
    small.subscribe(e => { last = e.seq })
    pruned(1)
    node.safeDispatchEvent('peer:discovered', { detail: { peerId: 'p', addresses: ['x'.repeat(500)] } })
    expect(small.since(`${small.name}.1`, BOTH)).toMatchObject({ lost: expect.any(String) })
    expect(small.since(`${small.name}.${last}`, BOTH)).toEqual({ events: [] })
    // a reader of other types lost none of its own: it resumes
    expect(small.since(`${small.name}.1`, PRUNED)).toEqual({ events: [] })
    expect(small.lastId).toBe(`${small.name}.${last}`)
    small.stop()
    log.stop()
    // stopped: it hears nothing more
    const heard = ids.length
    pruned(6)
    expect(ids).toHaveLength(heard)
  })
})
