/**
 * /vguard/paxos/1.0.0's inbound idle timeout, with real nodes: a stream that
 * brings no frame for idleTimeout is closed by the receiver, and one that
 * keeps bringing frames is not (the timer is pushed back by every frame, not
 * started once per stream); the sender notices the close and its next
 * message goes out on a new stream (it used to write on into the half-closed
 * stream, and nothing arrived). A second transport with its own protocol
 * prefix and a short timeout runs beside each node's own. A stream its
 * sender closes is closed by the receiver too, at once (found by
 * protocol-fuzz.spec.ts: it stayed half-open until the connection ended).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { lpStream } from '@libp2p/utils'
import { PaxosFrame, PaxosTransport, toWire } from '../../src/protocols/paxos/index.ts'
import { HALF_CLOSED_GRACE } from '../../src/protocols/paxos/constants.ts'
import type { ChainMessage } from '../../src/protocols/paxos/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { startedLibp2p } from '../utils/libp2p.ts'
import { muxerClosed } from '../../src/protocols/open-stream.ts'
import { leaveHalfClosed } from '../utils/stale-connection.ts'

const IDLE = 400

function transportOf (node: VGuardNode): PaxosTransport {
  return new PaxosTransport({ libp2p: node.libp2p, logger: node.libp2p.logger, isMember: () => true }, { protocolPrefix: 'vguard-idle-test', idleTimeout: IDLE })
}

/** Open streams of the test protocol on the connection from `from` to `to`. */
function streams (from: VGuardNode, to: VGuardNode, protocol: string): number {
  return from.libp2p.getConnections(to.peerId).flatMap(c => c.streams).filter(s => s.protocol === protocol && s.status === 'open').length
}

describe('consensus - paxos transport idle timeout', () => {
  const cluster = new TestCluster()
  const transports: PaxosTransport[] = []
  afterEach(async () => {
    await Promise.all(transports.splice(0).map(async t => { await t.stop() }))
    await cluster.teardown()
  })

  /** Two connected nodes, each with a test transport; what b's receives is collected. */
  async function connectedPair (): Promise<{ a: VGuardNode, b: VGuardNode, ta: PaxosTransport, tb: PaxosTransport, received: ChainMessage[] }> {
    const a = await cluster.create()
    await a.start()
    const b = await cluster.create({ bootstrap: [a.multiaddrs[0].toString()] })
    await b.start()
    await waitFor(() => fullyConnected([a, b]), { message: 'a and b connected' })
    const ta = transportOf(a)
    const tb = transportOf(b)
    transports.push(ta, tb)
    await Promise.all([ta.start(), tb.start()])
    const received: ChainMessage[] = []
    tb.onMessage = (_from, cm) => { received.push(cm) }
    return { a, b, ta, tb, received }
  }

  it('closes an inbound stream that brings nothing, keeps one that keeps talking', async () => {
    const { a, b, ta, tb, received } = await connectedPair()
    const B = b.peerId.toString()
    const heartbeat = (commit: number): ChainMessage => ({ chainId: 'c', message: { type: 'heartbeat', from: a.peerId.toString(), to: B, ballot: { round: 1, proposer: a.peerId.toString() }, commit } })

    // talking: a frame every 100 ms for three idle timeouts, on one stream throughout
    ta.greet(B)
    await waitFor(() => streams(a, b, ta.protocol) === 1, { message: 'a opened its stream to b' })
    const started = Date.now()
    let commit = 0
    while (Date.now() - started < 3 * IDLE) {
      ta.send([heartbeat(++commit)])
      await new Promise(resolve => setTimeout(resolve, 100))
      expect(streams(a, b, ta.protocol)).toBe(1)
    }
    await waitFor(() => received.length === commit, { message: 'b received every heartbeat' })
    expect(tb.stats.framesIn).toBeGreaterThanOrEqual(commit)

    // silent: b closes the stream after the idle timeout
    const silentSince = Date.now()
    // (b ends its side; a, told so, ends its own: the stream is gone)
    await waitFor(() => streams(a, b, ta.protocol) === 0, { timeout: 10 * IDLE, interval: 20, message: 'b closed the idle stream and a noticed' })
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(IDLE - 150)

    // the next message opens a new stream and arrives
    ta.send([heartbeat(++commit)])
    await waitFor(() => received.length === commit, { message: 'a heartbeat on a new stream' })
  })
  it('closes its end of an inbound stream the sender closed: the stream is freed at once, not when the connection ends', async () => {
    const { a, b, tb, received } = await connectedPair()
    const B = b.peerId.toString()
    const stream = await a.libp2p.dialProtocol(b.peerId, tb.protocol)
    const lp = lpStream(stream)
    await lp.write(PaxosFrame.encode({ messages: [toWire({ chainId: 'c', message: { type: 'heartbeat', from: a.peerId.toString(), to: B, ballot: { round: 1, proposer: a.peerId.toString() }, commit: 1 } })] }))
    await waitFor(() => received.length === 1, { message: 'b received the frame' })
    // unfixed, b's end stayed open until the connection closed (its reader had returned: no idle timer either)
    await stream.close({ signal: AbortSignal.timeout(5_000) }).catch(() => {})
    await waitFor(() => stream.status === 'closed' && streams(b, a, tb.protocol) === 0, { timeout: 5_000, interval: 10, message: 'b closed its end too' })
  })

  it('resets an idle inbound stream whose sender keeps its end open after the receiver ended its own', async () => {
    const { a, b, tb, received } = await connectedPair()
    const B = b.peerId.toString()
    const stream = await a.libp2p.dialProtocol(b.peerId, tb.protocol)
    let ended = false
    stream.addEventListener('remoteCloseWrite', () => { ended = true }, { once: true })
    await lpStream(stream).write(PaxosFrame.encode({ messages: [toWire({ chainId: 'c', message: { type: 'heartbeat', from: a.peerId.toString(), to: B, ballot: { round: 1, proposer: a.peerId.toString() }, commit: 1 } })] }))
    await waitFor(() => received.length === 1, { message: 'b received the frame' })
    // a slow sender that ignores b ending its side (an honest one ends its own, see the first test)
    await waitFor(() => ended, { timeout: 10 * IDLE, interval: 20, message: 'b ended its side of the idle stream' })
    expect(stream.writeStatus).toBe('writable')
    // unfixed, b's end waited for a's for as long as a liked, holding one of its inbound stream slots
    await waitFor(() => stream.status !== 'open' && streams(b, a, tb.protocol) === 0, { timeout: HALF_CLOSED_GRACE + 5_000, interval: 50, message: 'b reset the stream' })
  })

  it('sends again at once to a peer that registered the protocol after a stream to it failed: once it opens one to us, or once a hello opened ours', async () => {
    const a = await cluster.create()
    await a.start()
    const b = await cluster.create({ bootstrap: [a.multiaddrs[0].toString()] })
    await b.start()
    await waitFor(() => fullyConnected([a, b]), { message: 'a and b connected' })
    const A = a.peerId.toString()
    const B = b.peerId.toString()
    /** A node's transport once it registers the protocol, and what it receives; a backoff no test outlasts (a message that goes out came through the fix, not the backoff's end). */
    const registered = async (node: VGuardNode): Promise<{ t: PaxosTransport, got: ChainMessage[] }> => {
      const t = new PaxosTransport({ libp2p: node.libp2p, logger: node.libp2p.logger, isMember: () => true }, { protocolPrefix: 'vguard-backoff-test', redialBackoff: 600_000 })
      transports.push(t)
      await t.start()
      const got: ChainMessage[] = []
      t.onMessage = (_from, cm) => { got.push(cm) }
      return { t, got }
    }
    const accept = (from: string, to: string, slot: number): ChainMessage => ({ chainId: 'c', message: { type: 'accept', from, to, ballot: { round: 1, proposer: from }, slot, commit: 0, booth: [from, to], value: { kind: 'noop' } } })
    const { t: ta, got: atA } = await registered(a)

    // b's node has not registered the protocol yet (its consensus still starting): the stream fails, a backs off
    ta.send([accept(A, B, 1)])
    await waitFor(() => ta.stats.dropped === 1, { message: 'a gave up on b for now' })
    const { t: tb, got: atB } = await registered(b)
    ta.send([accept(A, B, 2)])
    // dropped: a backs off still
    await waitFor(() => ta.stats.dropped >= 2, { message: 'a still backing off' })

    // b speaks to a: a's next message to b goes out
    tb.send([accept(B, A, 1)])
    await waitFor(() => atA.length === 1, { message: 'a heard b' })
    ta.send([accept(A, B, 3)])
    await waitFor(() => atB.some(m => m.message.type === 'accept' && m.message.slot === 3), { message: 'b received slot 3' })

    // and the other way: c's first stream fails, then a hello (greet) opens one, and messages follow it
    const c = await cluster.create({ bootstrap: [a.multiaddrs[0].toString()] })
    await c.start()
    await waitFor(() => fullyConnected([a, b, c]), { message: 'c connected' })
    const C = c.peerId.toString()
    const dropped = ta.stats.dropped
    ta.send([accept(A, C, 1)])
    await waitFor(() => ta.stats.dropped > dropped, { message: 'a gave up on c for now' })
    const { got: atC } = await registered(c)
    ta.greet(C)
    await waitFor(() => streams(a, c, '/vguard-backoff-test/paxos/1.0.0') === 1, { message: 'the hello opened a stream to c' })
    ta.send([accept(A, C, 2)])
    await waitFor(() => atC.some(m => m.message.type === 'accept' && m.message.slot === 2), { message: 'c received slot 2' })
  })

  it('keeps no link to a peer it is not connected to: a booth member that drove off leaves nothing behind', async () => {
    const { a, b, ta, received } = await connectedPair()
    const A = a.peerId.toString()
    const B = b.peerId.toString()
    const accept = (to: string, slot: number): ChainMessage => ({ chainId: 'c', message: { type: 'accept', from: A, to, ballot: { round: 1, proposer: A }, slot, commit: 0, booth: [A, to], value: { kind: 'noop' } } })

    ta.send([accept(B, 1)])
    await waitFor(() => received.length === 1, { message: 'b received the accept' })
    expect(ta.linkCount).toBe(1)

    // b drives off; nothing tells this transport (the node's driver would call forget), and the replica goes on addressing it
    await cluster.stopNode(b)
    await waitFor(() => a.libp2p.getConnections(b.peerId).length === 0, { message: 'a noticed b left' })
    for (let slot = 2; slot < 10; slot++) ta.send([accept(B, slot)])
    await waitFor(() => ta.linkCount === 0, { message: 'the link to b dropped' })

    // a peer never met: no link either
    const stranger = (await cluster.create()).peerId.toString()
    ta.send([accept(stranger, 1)])
    await waitFor(() => ta.linkCount === 0, { message: 'no link to a stranger' })
    expect(received).toHaveLength(1)

    // an addressee that is no peer id (a booth a bad genesis made): dropped, no link, and the transport stays idle
    const dropped = ta.stats.dropped
    ta.send([accept('members:00000000000000000000000000000000', 1)])
    ta.greet('not a peer id')
    expect(ta.linkCount).toBe(0)
    expect(ta.stats.dropped).toBe(dropped + 1)
  })

  it('asks a peer it held as two processes for its hello again once it lets it go: the hello it dropped is not lost', async () => {
    const { a, b, ta, tb } = await connectedPair()
    const A = a.peerId.toString()
    // a's own transport has a hello to give, and says nothing unless asked
    ta.setHello({ priority: 5, sharedGenesis: '' })
    const hellos: number[] = []
    tb.onHello = (from, hello) => { if (from === A) hellos.push(hello.priority) }
    const protocol = '/vguard-idle-test/paxos/1.0.0'
    const instance = (byte: number): Uint8Array<ArrayBuffer> => new Uint8Array(16).fill(byte)
    const helloFrame = (byte: number, priority: number): Uint8Array => PaxosFrame.encode({
      messages: [],
      hello: { priority, sharedGenesis: '', sharedBooth: [], sharedHeld: false, askBack: false, incarnation: new Uint8Array(0), readmitted: [], heldBack: [], sharedFounding: new Uint8Array(0), instance: instance(byte), clones: [], recorded: [], sharedRefused: false }
    })
    // an older process's stream, open; then a newer process's first frame, its hello: held and dropped
    const older = await a.libp2p.dialProtocol(b.peerId, protocol)
    await lpStream(older).write(helloFrame(1, 1))
    await waitFor(() => hellos.length === 1, { message: 'the older process\'s hello' })
    const newer = await a.libp2p.dialProtocol(b.peerId, protocol)
    await lpStream(newer).write(helloFrame(2, 2))
    await waitFor(() => tb.clones.held(A), { message: 'b holds a' })
    expect(hellos).toEqual([1])
    // both go: b lets a go, and asks for its hello again (a's transport answers with its own)
    await newer.close()
    await older.close()
    await waitFor(() => !tb.clones.held(A), { message: 'b lets a go' })
    await waitFor(() => hellos.includes(5), { message: 'a\'s hello asked for again' })
  })
})

describe('consensus - paxos transport over a peer\'s connections', () => {
  const nodes: VGuardLibp2p[] = []
  const transports: PaxosTransport[] = []
  afterEach(async () => {
    await Promise.all(transports.splice(0).map(async t => { await t.stop() }))
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  async function node (): Promise<VGuardLibp2p> {
    const libp2p = await startedLibp2p(`transport-${process.pid}`)
    nodes.push(libp2p)
    return libp2p
  }

  it('writes on a connection that can carry a stream, passing over one left open with its muxer closed (the peer\'s GoAway came, its TCP close not yet), the older or the newer', async () => {
    for (const stale of ['older', 'newer']) {
      const [a, b] = [await node(), await node()]
      const ta = new PaxosTransport({ libp2p: a, logger: a.logger, isMember: () => true }, { protocolPrefix: 'vguard-conn-test' })
      const tb = new PaxosTransport({ libp2p: b, logger: b.logger, isMember: () => true }, { protocolPrefix: 'vguard-conn-test' })
      transports.push(ta, tb)
      await Promise.all([ta.start(), tb.start()])
      const received: ChainMessage[] = []
      tb.onMessage = (_from, cm) => { received.push(cm) }
      const older = await a.dial(b.getMultiaddrs()[0])
      const newer = await a.dial(b.getMultiaddrs()[0], { force: true })
      expect(newer.id).not.toBe(older.id)
      // what b's GoAway does to a's muxer of that connection (the TCP close comes later)
      const closed = stale === 'older' ? older : newer
      await leaveHalfClosed(a, b, closed)
      expect(muxerClosed(closed)).toBe(true)
      expect(a.getConnections(b.peerId).map(c => c.id)).toContain(closed.id)

      const A = a.peerId.toString()
      ta.send([{ chainId: 'c', message: { type: 'heartbeat', from: A, to: b.peerId.toString(), ballot: { round: 1, proposer: A }, commit: 1 } }])
      await waitFor(() => received.length === 1, { timeout: 5_000, message: `b to receive the heartbeat, the ${stale} connection's muxer closed` })
      expect(ta.stats.dropped, stale).toBe(0)
    }
  })
})
