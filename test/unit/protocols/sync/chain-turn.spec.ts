import { describe, it, expect } from 'vitest'
import { KeyedLock } from '../../../../src/protocols/keyed-lock.ts'
import { ChainTurn } from '../../../../src/protocols/sync/chain-turn.ts'
import { FetchFlights } from '../../../../src/protocols/sync/fetch-flights.ts'
import type { FetchResult } from '../../../../src/protocols/sync/index.ts'
import { emptyTip } from '../../../../src/chain/index.ts'
import { peerIdFromString } from '@libp2p/peer-id'

/** A reconcile's turn at chain 'c': the turn, and a promise of the reconcile's end (which ends it). */
function reconcile (lock: KeyedLock, body: (turn: ChainTurn) => Promise<void>): Promise<void> {
  return lock.run('c', async (release) => {
    const turn = new ChainTurn(lock, 'c', release)
    try {
      await body(turn)
    } finally {
      turn.end()
    }
  })
}

describe('sync - a reconcile\'s turn at a chain', () => {
  it('handed over, it lets the next reconcile run; taken again, it waits in line behind it, and the one after waits for it', async () => {
    const lock = new KeyedLock()
    const order: string[] = []
    const second = Promise.withResolvers<void>()
    let retaken: Promise<void> = Promise.resolve()
    const first = reconcile(lock, async (turn) => {
      order.push('1 fetch stalls')
      turn.handOver()
      expect(turn.held).toBe(false)
      await second.promise
      retaken = turn.retake().then(() => { order.push('1 retries'); expect(turn.held).toBe(true) })
      await retaken
    })
    const two = reconcile(lock, async () => {
      order.push('2 runs')
      second.resolve()
      // the first's retake is in line behind this reconcile, which still holds the turn
      await Promise.resolve()
      order.push('2 ends')
    })
    await two
    await first
    expect(order).toEqual(['1 fetch stalls', '2 runs', '2 ends', '1 retries'])
    // all done: the next one runs at once
    await reconcile(lock, async () => { order.push('3 runs') })
    expect(order.at(-1)).toBe('3 runs')
  })

  it('a retaken turn is handed on when the reconcile ends', async () => {
    const lock = new KeyedLock()
    const order: string[] = []
    const taken = Promise.withResolvers<void>()
    const first = reconcile(lock, async (turn) => {
      turn.handOver()
      await turn.retake()
      taken.resolve()
      order.push('1 holds it again')
    })
    await taken.promise
    await reconcile(lock, async () => { order.push('2 runs') })
    await first
    expect(order).toEqual(['1 holds it again', '2 runs'])
  })

  it('a retake its caller aborts ends with the abort\'s reason, and the turn, once it comes, goes straight on to the next', async () => {
    const lock = new KeyedLock()
    const order: string[] = []
    const aborting = new AbortController()
    const holding = Promise.withResolvers<void>()
    const second = Promise.withResolvers<void>()
    const first = reconcile(lock, async (turn) => {
      turn.handOver()
      await second.promise
      const waiting = turn.retake(aborting.signal)
      aborting.abort(new Error('the caller gave up'))
      await expect(waiting).rejects.toThrow('the caller gave up')
      expect(turn.held).toBe(false)
      order.push('1 gave up')
    })
    const two = reconcile(lock, async () => {
      second.resolve()
      order.push('2 holds it')
      await holding.promise
      order.push('2 ends')
    })
    // the first ends while the second still holds the turn
    await first
    expect(order).toEqual(['2 holds it', '1 gave up'])
    const third = reconcile(lock, async () => { order.push('3 runs') })
    holding.resolve()
    await two
    await third
    expect(order).toEqual(['2 holds it', '1 gave up', '2 ends', '3 runs'])
    // already aborted: no wait at all
    await reconcile(lock, async (turn) => {
      turn.handOver()
      await expect(turn.retake(aborting.signal)).rejects.toThrow('the caller gave up')
    })
  })

  it('made without a release, a turn is not held until taken; taken, it is handed on when the reconcile ends', async () => {
    const lock = new KeyedLock()
    const order: string[] = []
    const turn = new ChainTurn(lock, 'c')
    expect(turn.held).toBe(false)
    await turn.retake()
    expect(turn.held).toBe(true)
    const next = reconcile(lock, async () => { order.push('2 runs') })
    order.push('1 holds it')
    turn.end()
    await next
    expect(order).toEqual(['1 holds it', '2 runs'])
  })
})

describe('sync - the fetches reconciles run', () => {
  const peer = peerIdFromString('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
  const done: FetchResult = { chainId: 'c', peer: peer.toString(), fetched: 3, tip: emptyTip('c'), remoteHeight: 3, complete: true }

  it('one per chain and peer: a watcher hears it move, and its outcome is the fetch\'s, a result or an error', async () => {
    const flights = new FetchFlights()
    const go = Promise.withResolvers<void>()
    let moved = 0
    const running = flights.run('c', peer, async (onMoved) => { await go.promise; onMoved(); onMoved(); return done })
    const flight = flights.get('c', peer)
    expect(flight?.owner).toBe('reconcile')
    expect(flights.get('other', peer)).toBeUndefined()
    await expect(flights.run('c', peer, async () => done)).rejects.toThrow(/already running/)
    const unwatch = flight?.watch(() => { moved++ })
    go.resolve()
    expect(await running).toEqual({ result: done })
    unwatch?.()
    expect(moved).toBe(2)
    expect(flights.get('c', peer)).toBeUndefined()
    const failed = await flights.run('c', peer, async () => { throw new Error('dropped') })
    expect(failed.error?.message).toBe('dropped')
    expect(flights.get('c', peer)).toBeUndefined()
    // what a reconcile reads the name of is an Error, whatever was thrown
    // eslint-disable-next-line no-throw-literal
    const odd = await flights.run('c', peer, async () => { throw 'a string' })
    expect(odd.error).toBeInstanceOf(Error)
    expect(odd.error?.message).toBe('the fetch failed: a string')
    // a caller's fetch says so: a reconcile waits for it but does not take its outcome as its own
    const caller = flights.run('c', peer, async () => done, 'fetch')
    expect(flights.get('c', peer)?.owner).toBe('fetch')
    expect(await caller).toEqual({ result: done })
  })
})
