/**
 * The fixes in patches/ (docs/architecture.md, "Patched dependencies"),
 * checked on the real stack: libp2p nodes over TCP on loopback with Noise
 * and yamux (and gossipsub), as every vguard-node runs them. Each test fails
 * on the unpatched package.
 */
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import net from 'node:net'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { createHook } from 'node:async_hooks'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import { waitFor } from '../utils/wait.ts'

const PROTOCOL = '/vguard-test/small-messages/1.0.0'
const MESSAGES = 50

interface SocketCounts { writes: number, bytes: number }

/** Counts, per socket, the writes Node hands the kernel (`_write` and `_writev`, one syscall each). */
function countSocketWrites (): { of: (socket: net.Socket) => SocketCounts, sockets: () => net.Socket[], restore: () => void } {
  const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
  const original = { _write: proto._write, _writev: proto._writev }
  const counts = new Map<net.Socket, SocketCounts>()
  const hook = (name: '_write' | '_writev') => function (this: net.Socket, ...args: unknown[]): unknown {
    const c = counts.get(this) ?? { writes: 0, bytes: 0 }
    c.writes++
    const data = args[0] as Uint8Array | Array<{ chunk: Uint8Array }>
    c.bytes += Array.isArray(data) ? data.reduce((n, d) => n + d.chunk.byteLength, 0) : data.byteLength
    counts.set(this, c)
    return original[name].apply(this, args)
  }
  proto._write = hook('_write')
  proto._writev = hook('_writev')
  return {
    of: (socket) => counts.get(socket) ?? { writes: 0, bytes: 0 },
    sockets: () => [...counts.keys()],
    restore: () => { proto._write = original._write; proto._writev = original._writev }
  }
}

/** The TCP port a node listens on (its first address is /ip4/127.0.0.1/tcp/PORT/p2p/…). */
function listenPort (n: Libp2p): number {
  return Number(n.getMultiaddrs()[0].toString().split('/')[4])
}

async function node (): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

describe('patched libp2p stack', () => {
  let nodes: Libp2p[] = []
  let counter: ReturnType<typeof countSocketWrites> | undefined

  beforeEach(async () => {
    nodes = [await node(), await node()]
  })

  afterEach(async () => {
    counter?.restore()
    counter = undefined
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  /**
   * Opens a stream from nodes[0] to nodes[1] and settles it: one message
   * there and back, so the stream's set-up (multistream-select, yamux's
   * ACK) is behind us; `received(n)` resolves once the receiver got n more.
   */
  async function openSettled (): Promise<{ stream: Stream, received: (n: number) => Promise<void> }> {
    const [sender, receiver] = nodes
    let got = 0
    let waiting: { n: number, resolve: () => void } | undefined
    await receiver.handle(PROTOCOL, (stream) => {
      stream.addEventListener('message', (evt) => {
        // the first message is echoed: its echo follows every set-up answer on the connection
        if (got++ === 0) stream.send(evt.data)
        if (waiting != null && got >= waiting.n) waiting.resolve()
      })
    })
    const received = async (n: number): Promise<void> => {
      const target = got + n
      if (got >= target) return
      await new Promise<void>((resolve) => { waiting = { n: target, resolve } })
    }
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
    const echoed = new Promise<void>((resolve) => { stream.addEventListener('message', () => { resolve() }, { once: true }) })
    stream.send(new Uint8Array(1))
    await echoed
    return { stream, received }
  }

  /** Sends MESSAGES small messages one event-loop turn apart (so nothing coalesces them) and waits for all. */
  async function sendSmall (stream: Stream, received: (n: number) => Promise<void>): Promise<void> {
    const all = received(MESSAGES)
    for (let i = 0; i < MESSAGES; i++) {
      stream.send(new Uint8Array(100).fill(i))
      await new Promise(resolve => setImmediate(resolve))
    }
    await all
  }

  it('sends each small message with one write on the socket (noise length and ciphertext corked together)', async () => {
    const { stream, received } = await openSettled()
    counter = countSocketWrites()
    await sendSmall(stream, received)
    const sending = counter.sockets().filter(s => s.remotePort === listenPort(nodes[1]))
    expect(sending).toHaveLength(1)
    // unpatched: two writes per message (the 2-byte noise length, then the
    // ciphertext); fewer than one each if the kernel ever made Node queue some
    expect(counter.of(sending[0]).writes).toBeLessThanOrEqual(MESSAGES)
  })

  it('receives small messages without a window update for each (yamux tops the window up at half)', async () => {
    const { stream, received } = await openSettled()
    counter = countSocketWrites()
    await sendSmall(stream, received)
    const receiving = counter.sockets().filter(s => s.localPort === listenPort(nodes[1]))
    // unpatched: the receiver answers every data frame with a window update
    // (an encrypted 12-byte yamux frame: 30 bytes on the wire each). Patched,
    // the only updates are yamux's window growth: while data keeps coming
    // within 4 round trips it doubles the window, from 256 KiB to its 16 MiB
    // maximum, announcing each step: at most 6 in a stream's life
    expect(receiving.reduce((n, s) => n + counter!.of(s).writes, 0)).toBeLessThanOrEqual(6)
  })

  it('still tops the window up once half of it is used, so a large transfer goes through', async () => {
    const size = 4 * 1024 * 1024
    const [sender, receiver] = nodes
    const { promise: done, resolve } = Promise.withResolvers<number>()
    await receiver.handle(PROTOCOL, (stream) => {
      let got = 0
      stream.addEventListener('message', (evt) => {
        got += evt.data.byteLength
        if (got === size) resolve(got)
      })
    })
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
    const chunk = new Uint8Array(64 * 1024)
    for (let sent = 0; sent < size; sent += chunk.byteLength) {
      if (!stream.send(chunk)) await stream.onDrain()
    }
    expect(await done).toBe(size)
  })

  it('does not ask the length decoder about an empty buffer', () => {
    let asked = 0
    const decoder = new LengthPrefixedDecoder({
      lengthDecoder: (buf) => {
        asked++
        if (buf.byteLength < 1) throw new RangeError('no length yet')
        return buf instanceof Uint8Array ? buf[0] : buf.get(0)
      },
      encodingLength: () => 1
    })
    // two whole frames: each length read once, and no read of the empty rest
    // (unpatched: a third call that throws, and a stack trace, per chunk)
    expect([...decoder.decode(new Uint8Array([2, 7, 7, 1, 9]))].map(f => f.subarray())).toEqual([new Uint8Array([7, 7]), new Uint8Array([9])])
    expect(asked).toBe(2)
    // a partial frame still waits for the rest
    expect([...decoder.decode(new Uint8Array([3, 1]))]).toEqual([])
    expect([...decoder.decode(new Uint8Array([2, 3]))].map(f => f.subarray())).toEqual([new Uint8Array([1, 2, 3])])
  })
})

describe('patched libp2p stack - stopping', () => {
  it('leaves no timer behind that would keep the process alive (gossipsub heartbeat, address update)', async () => {
    // every timer created while the nodes live, with the stack that made it
    const timers: Array<{ timer: { _destroyed?: boolean, hasRef?: () => boolean }, stack: string }> = []
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 30
    const hook = createHook({
      init (_id, type, _trigger, resource) {
        if (type === 'Timeout') timers.push({ timer: resource as { _destroyed?: boolean }, stack: new Error().stack ?? '' })
      }
    }).enable()
    try {
      const make = async (): Promise<Libp2p> => await createLibp2p({
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), pubsub: gossipsub() }
      })
      const [a, b] = [await make(), await make()]
      await a.dial(b.getMultiaddrs()[0])
      await a.stop()
      await b.stop()
    } finally {
      hook.disable()
      Error.stackTraceLimit = limit
    }
    const pending = timers.filter(t => t.timer._destroyed !== true && t.timer.hasRef?.() === true)
    // unpatched: gossipsub's next heartbeat (up to 1 s) and the address manager's debounced update (1 s)
    const ours = pending.filter(t => /gossipsub|address-manager/.test(t.stack))
    expect(ours.map(t => t.stack.split('\n').find(l => /gossipsub|address-manager/.test(l)))).toEqual([])
  })
})

describe('patched libp2p stack - gossipsub and the wall clock', () => {
  const TOPIC = 'vguard-test/clock'
  let nodes: Array<Libp2p<{ pubsub: GossipSub }>> = []
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(nodes.map(async n => { await n.stop() }))
    nodes = []
  })

  it('forgets the messages it saw once seenTTL passed, also after the wall clock was set back (a vehicle\'s clock corrected by GPS)', async () => {
    const make = async (): Promise<Libp2p<{ pubsub: GossipSub }>> => await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: gossipsub({ seenTTL: 200, heartbeatInterval: 100, floodPublish: true, allowPublishToZeroTopicPeers: true }) }
    })
    nodes = [await make(), await make()]
    const [a, b] = nodes
    for (const n of nodes) n.services.pubsub.subscribe(TOPIC)
    let received = 0
    b.services.pubsub.addEventListener('message', () => { received++ })
    await a.dial(b.getMultiaddrs()[0])
    await waitFor(() => a.services.pubsub.getSubscribers(TOPIC).length === 1, { message: 'a knows b subscribed' })
    // what b saw, and keeps for seenTTL to drop repeats
    const seen = (): number => (b.services.pubsub as unknown as { seenCache: { size: number } }).seenCache.size
    const publish = async (from: number): Promise<void> => {
      for (let i = from; i < from + 5; i++) await a.services.pubsub.publish(TOPIC, new Uint8Array([i]))
      await waitFor(() => received === from + 5, { message: `b received ${from + 5} messages` })
    }
    await publish(0)
    expect(seen()).toBeGreaterThanOrEqual(5)
    // the wall clock goes back an hour, and stays there (timers and performance.now() run on)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 3_600_000 })
    await publish(5)
    // unpatched: the first five count as an hour from expiry, and the cache is pruned in order, so none goes
    await waitFor(() => seen() === 0, { timeout: 5_000, message: 'b forgot what it saw' })
  })
})
