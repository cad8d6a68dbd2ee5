/**
 * The retry policy of reconcile-on-connect: which failures make the node ask
 * the same peer again, how often, and that stop() ends it. The sync service
 * is scripted here (each call answers what the test says); the real one, with
 * a peer that does not answer once, is in test/integration/sync.spec.ts.
 * The tests of the steady asks after the growing pauses run on fake timers:
 * what they count is asks and pending timers, not how long anything took.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { defaultLogger } from '@libp2p/logger'
import { ReconcileOnConnect } from '../../../src/node/reconcile-on-connect.ts'
import type { ReconcileResult } from '../../../src/protocols/sync/index.ts'
import { waitFor } from '../../utils/wait.ts'

const PEER = peerIdFromString('12D3KooWRDPNzieWiUrR29gEBSpA54yYzAA9VxrMHeKpkjdPD4Mo')
const DELAYS = [5, 5, 5]
const STEADY = 50

function result (over: Partial<ReconcileResult> = {}): ReconcileResult {
  return { chainId: 'c', before: 0, after: 0, sources: [], dropped: [], unreachable: [], refused: [], noRoom: false, ...over }
}

describe('node - reconcile on connect', () => {
  let r: ReconcileOnConnect | undefined
  afterEach(() => {
    r?.stop()
    vi.useRealTimers()
  })

  function run (answers: Array<ReconcileResult | Error>, connected = (): boolean => true, steady?: number): { calls: () => number, r: ReconcileOnConnect } {
    let calls = 0
    r = new ReconcileOnConnect({
      sync: {
        reconcile: async () => {
          const a = answers[Math.min(calls++, answers.length - 1)]
          if (a instanceof Error) throw a
          return [a]
        }
      },
      isConnected: connected,
      log: defaultLogger().forComponent('test'),
      delays: DELAYS,
      steady
    })
    r.start()
    r.peer(PEER)
    return { calls: () => calls, r }
  }

  it('asks again after an unreachable peer, and stops asking once it answered', async () => {
    const s = run([result({ unreachable: [PEER.toString()] }), result({ after: 3 })])
    await waitFor(() => s.calls() === 2)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(s.calls()).toBe(2)
  })

  it('asks again after a failed fetch or a thrown error, at most once per delay', async () => {
    const s = run([result({ dropped: [{ peer: PEER.toString(), error: 'TimeoutError', reason: 'TimeoutError: slow' }] }), new Error('stream reset')])
    await waitFor(() => s.calls() === 1 + DELAYS.length)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(s.calls()).toBe(1 + DELAYS.length)
  })

  it('does not ask a peer again that served a block that does not verify', async () => {
    const s = run([result({ dropped: [{ peer: PEER.toString(), error: 'InvalidBlockError', reason: 'InvalidBlockError (hash): forged' }] })])
    await waitFor(() => s.calls() === 1)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(s.calls()).toBe(1)
  })

  it('does not ask a peer again that refused this node for a lasting reason; asks again one that did not count it a member', async () => {
    const lasting = run([result({ refused: [{ peer: PEER.toString(), reason: 'two processes run its identity', lasting: true }] })])
    await waitFor(() => lasting.calls() === 1)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(lasting.calls()).toBe(1)
    lasting.r.stop()

    const notYet = run([result({ refused: [{ peer: PEER.toString(), reason: 'not a member of this network', lasting: false }] }), result({ after: 3 })])
    await waitFor(() => notYet.calls() === 2)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(notYet.calls()).toBe(2)
  })

  it('does not ask a peer that is gone, nor after stop()', async () => {
    let connected = false
    const s = run([result({ unreachable: [PEER.toString()] })], () => connected)
    await waitFor(() => s.calls() === 1)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(s.calls()).toBe(1)

    connected = true
    s.r.peer(PEER)
    await waitFor(() => s.calls() === 2)
    s.r.stop()
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(s.calls()).toBe(2)
  })

  it('asks a connected peer that keeps failing again at a steady pace after the growing pauses, and not once it is gone', async () => {
    vi.useFakeTimers()
    let connected = true
    const s = run([new Error('stream reset')], () => connected, STEADY)
    expect(await askedTimes(s, 1 + DELAYS.length + 3)).toBe(true)
    connected = false
    // the ask pending finds it gone, and none follows
    expect(await askedTimes(s, s.calls() + 1)).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps one chain of asks per peer, however often peer() is called for it', async () => {
    vi.useFakeTimers()
    const s = run([new Error('stream reset')], () => true, STEADY)
    // a second call while the first ask is under way (a member that connected again at once)
    s.r.peer(PEER)
    await vi.advanceTimersByTimeAsync(0)
    expect(s.calls()).toBe(2)
    expect(vi.getTimerCount()).toBe(1)
    // one while a growing pause is pending, and one while a steady one is
    expect(await askedTimes(s, 4)).toBe(true)
    s.r.peer(PEER)
    await vi.advanceTimersByTimeAsync(0)
    expect(vi.getTimerCount()).toBe(1)
    expect(await askedTimes(s, s.calls() + DELAYS.length + 2)).toBe(true)
    s.r.peer(PEER)
    await vi.advanceTimersByTimeAsync(0)
    expect(vi.getTimerCount()).toBe(1)
  })

  it('stop() ends the steady asks', async () => {
    vi.useFakeTimers()
    const s = run([new Error('stream reset')], () => true, STEADY)
    expect(await askedTimes(s, 1 + DELAYS.length + 1)).toBe(true)
    expect(vi.getTimerCount()).toBe(1)
    s.r.stop()
    expect(vi.getTimerCount()).toBe(0)
    const asked = s.calls()
    await vi.runAllTimersAsync()
    expect(s.calls()).toBe(asked)
  })
})

/**
 * Runs the fake timers one at a time until the scripted sync was asked `n`
 * times; false if no timer is left before (the reconciler stopped asking).
 */
async function askedTimes (s: { calls: () => number }, n: number): Promise<boolean> {
  while (true) {
    // the answer to the last ask is read (and its retry set) between timers
    await vi.advanceTimersByTimeAsync(0)
    if (s.calls() >= n) return true
    if (vi.getTimerCount() === 0) return false
    await vi.advanceTimersToNextTimerAsync()
  }
}
