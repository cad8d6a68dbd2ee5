/**
 * Liveness between real libp2p nodes on loopback. A peer that goes silent
 * without a FIN or RST (a cable pulled: here a TCP relay between the two
 * that stops carrying bytes but keeps both sockets open) is hung up on after
 * its missed pings, on every connection it has; a peer that answers stays
 * connected, pinged through the muxer, with no ping stream at all, also when
 * it answers a ping late.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { startedLibp2p } from '../utils/libp2p.ts'
import { Liveness } from '../../src/node/liveness.ts'
import { pingingMuxer } from '../../src/protocols/muxer-ping.ts'
import { muxerClosed } from '../../src/protocols/open-stream.ts'
import { lpStream } from '../../src/protocols/framing.ts'
import { waitFor } from '../utils/wait.ts'
import { Relay } from '../utils/relay.ts'
import { leaveHalfClosed } from '../utils/stale-connection.ts'

const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const BULK_PROTOCOL = '/vguard-test/bulk/1.0.0'

describe('liveness - hangs up on a silent peer, not on one that answers', () => {
  const nodes: VGuardLibp2p[] = []
  const relays: Relay[] = []
  const watchers: Liveness[] = []
  afterEach(async () => {
    for (const w of watchers.splice(0)) w.stop()
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
    await Promise.all(relays.splice(0).map(async r => { await r.close() }))
  })

  async function node (): Promise<VGuardLibp2p> {
    const libp2p = await startedLibp2p(`liveness-${process.pid}`)
    nodes.push(libp2p)
    return libp2p
  }

  function watch (libp2p: VGuardLibp2p): Liveness {
    const liveness = new Liveness({ libp2p, peers: () => libp2p.getPeers(), log: defaultLogger().forComponent('test:liveness'), interval: 100, timeout: 300, maxMissed: 3 })
    liveness.start()
    watchers.push(liveness)
    return liveness
  }

  /** a and b connected through a relay, a watching b, its first pings answered. */
  async function throughRelay (): Promise<{ a: VGuardLibp2p, b: VGuardLibp2p, relay: Relay, connection: Connection, liveness: Liveness }> {
    const [a, b] = [await node(), await node()]
    const relay = new Relay(Number(/\/tcp\/(\d+)/.exec(b.getMultiaddrs()[0].toString())?.[1]))
    relays.push(relay)
    const port = await relay.listen()
    const connection = await a.dial(multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${b.peerId.toString()}`))
    const liveness = watch(a)
    await waitFor(() => liveness.counts.answered >= 2, { message: 'pings answered through the relay' })
    return { a, b, relay, connection, liveness }
  }

  it('a peer that answers stays connected, pinged through the muxer (no ping stream is opened)', async () => {
    const [a, b] = [await node(), await node()]
    // a stream ping would now fail: only the muxer's ping can be answered
    await b.unhandle(PING_PROTOCOL)
    const connection = await a.dial(b.getMultiaddrs()[0])
    expect(pingingMuxer(connection)).toBeDefined()
    const liveness = watch(a)
    await waitFor(() => liveness.counts.answered >= 10, { message: '10 pings answered' })
    expect(liveness.counts).toMatchObject({ missed: 0, hungUp: 0 })
    expect(connection.status).toBe('open')
    expect(a.getConnections(b.peerId)).toHaveLength(1)
  })

  it('a peer cut off without a FIN is hung up on after its missed pings', async () => {
    const { a, b, relay, connection, liveness } = await throughRelay()

    relay.cut()
    await waitFor(() => connection.status !== 'open', { message: 'a hung up on the silent peer' })
    expect(liveness.counts.hungUp).toBe(1)
    expect(liveness.counts.missed).toBeGreaterThanOrEqual(3)
    expect(a.getConnections(b.peerId)).toHaveLength(0)
  })

  it('a peer that stalls past a ping\'s timeout, and answers late, keeps its connection', async () => {
    const { a, b, relay, connection, liveness } = await throughRelay()

    // b's answers are held past a ping's timeout (its process frozen, a GC pause, a loaded host), then arrive
    relay.pause()
    await waitFor(() => liveness.counts.missed >= 1, { message: 'a ping missed while b stalls' })
    const answered = liveness.counts.answered
    relay.resume()
    // a pong for a ping given up on used to abort the connection (yamux: "ping doesn't match our id")
    await waitFor(() => liveness.counts.answered > answered + 2, { message: 'b answers again' })
    expect(connection.status).toBe('open')
    expect(liveness.counts.hungUp).toBe(0)
    expect(a.getConnections(b.peerId)).toHaveLength(1)
  })

  it('a peer whose pongs queue behind the bytes it sends on a slow link keeps its connection', async () => {
    const { a, b, relay, connection, liveness } = await throughRelay()
    // b sends a bulk stream to a (a backup's copy of a chain), over a link that carries 256 KiB/s:
    // its pongs wait behind megabytes, far past a ping's timeout, while its bytes keep arriving
    await a.handle(BULK_PROTOCOL, (stream) => { stream.addEventListener('message', () => { /* drained */ }) })
    relay.throttle(256 * 1024)
    const bulk = await b.dialProtocol(a.peerId, BULK_PROTOCOL)
    const chunk = new Uint8Array(64 * 1024)
    const lp = lpStream(bulk)
    const stop = new AbortController()
    const sender = (async () => {
      while (!stop.signal.aborted) await lp.write(chunk, { signal: stop.signal })
    })().catch(() => {})
    try {
      await waitFor(() => liveness.counts.busy >= 5, { timeout: 20_000, message: 'pings late while bytes kept arriving' })
      expect(liveness.counts.hungUp).toBe(0)
      expect(connection.status).toBe('open')
      // once the peer's bytes stop too, it is hung up on as before
      relay.cut()
      await waitFor(() => connection.status !== 'open', { timeout: 20_000, message: 'a hung up on the silent peer' })
      expect(liveness.counts.hungUp).toBe(1)
    } finally {
      stop.abort()
      bulk.abort(new Error('test over'))
      await sender
    }
  })

  it('one silent connection beside a live one takes all of the peer\'s connections down (gossip must not hang on it)', async () => {
    const [a, b] = [await node(), await node()]
    const direct = await a.dial(b.getMultiaddrs()[0])
    const relay = new Relay(Number(/\/tcp\/(\d+)/.exec(b.getMultiaddrs()[0].toString())?.[1]))
    relays.push(relay)
    const port = await relay.listen()
    const relayed = await a.dial(multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${b.peerId.toString()}`), { force: true })
    expect(relayed.id).not.toBe(direct.id)
    const liveness = watch(a)
    await waitFor(() => liveness.counts.answered >= 4, { message: 'both connections answered' })

    relay.cut()
    await waitFor(() => direct.status !== 'open' && relayed.status !== 'open', { message: 'both connections closed' })
    expect(liveness.counts.hungUp).toBe(1)
  })

  it('a connection left open with its muxer closed (the peer\'s GoAway came, its TCP close not yet) is closed at once and alone, not after missed pings with the live one', async () => {
    const [a, b] = [await node(), await node()]
    const live = await a.dial(b.getMultiaddrs()[0])
    const stale = await a.dial(b.getMultiaddrs()[0], { force: true })
    expect(stale.id).not.toBe(live.id)
    await leaveHalfClosed(a, b, stale)
    expect(muxerClosed(stale)).toBe(true)
    const liveness = watch(a)

    await waitFor(() => stale.status !== 'open', { message: 'the stale connection closed' })
    expect(liveness.counts).toMatchObject({ stale: 1, missed: 0, hungUp: 0 })
    await waitFor(() => liveness.counts.answered >= 3, { message: 'the live connection pinged on' })
    expect(live.status).toBe('open')
    expect(a.getConnections(b.peerId).map(c => c.id)).toEqual([live.id])
  })
})
