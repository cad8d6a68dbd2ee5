/**
 * Plain TCP sockets that connect and send nothing cannot lock a node's
 * inbound connections out. libp2p counts an inbound connection as pending
 * from accept until its Noise and yamux upgrade ends, waits up to 10 s for
 * it, and refused every inbound connection, members' too, while 100 were
 * pending: 100 idle sockets held a node shut for 10 s. Real vguard nodes over
 * TCP on loopback; the idle sockets come from 127.0.0.1 as the member does,
 * as vehicles on one host (or behind one docker gateway) share an address.
 */
import { describe, it, expect, afterEach } from 'vitest'
import net from 'node:net'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { sample } from '../utils/prometheus.ts'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import type { VGuardNode } from '../../src/node/index.ts'
import { HandshakeRoom, MAX_HANDSHAKES, MAX_HANDSHAKES_PER_HOST } from '../../src/node/handshake-room.ts'

/** The node's TCP port (its first address is /ip4/127.0.0.1/tcp/PORT/p2p/…). */
function tcpPort (node: { multiaddrs: VGuardNode['multiaddrs'] } | Libp2p): number {
  if ('getMultiaddrs' in node) return Number(node.getMultiaddrs()[0].toString().split('/')[4])
  return Number(node.multiaddrs[0].toString().split('/')[4])
}

/** Idle sockets: they connect and never send a byte. */
class IdleSockets {
  readonly sockets: net.Socket[] = []

  /** Opens `count` sockets to `port`; each sends `say` (nothing by default) once connected. */
  async open (port: number, count: number, say?: string): Promise<void> {
    await Promise.all(Array.from({ length: count }, async () => await new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port })
      this.sockets.push(socket)
      socket.on('error', () => {})
      socket.once('close', () => { resolve() })
      socket.once('connect', () => {
        if (say != null) socket.write(say)
        resolve()
      })
    })))
  }

  /** Sockets the node has not closed yet. */
  get held (): number { return this.sockets.filter(s => !s.closed).length }

  destroy (): void {
    for (const s of this.sockets.splice(0)) s.destroy()
  }
}

async function metric (node: VGuardNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample(await node.metrics.metrics(), name, labels) ?? 0
}

describe('peering - idle handshakes', () => {
  const cluster = new TestCluster()
  const idle = new IdleSockets()
  afterEach(async () => {
    idle.destroy()
    await cluster.teardown()
  })

  it('lets a member dial in while idle sockets from its own address flood the node, and forgets every handshake once over', async () => {
    const A = await cluster.create()
    await A.start()
    // past libp2p's own cap (twice MAX_HANDSHAKES), which refuses everything while full: the
    // handshakes closed to make way must leave its count too
    const flood = 2 * MAX_HANDSHAKES + 100
    await idle.open(tcpPort(A), flood)
    // the node has taken the flood in once it closed all it does not hold
    await waitFor(() => idle.held <= MAX_HANDSHAKES_PER_HOST, { timeout: 5_000, message: 'A to close the idle sockets it does not hold', state: () => ({ held: idle.held }) })
    expect(await metric(A, 'vguard_handshakes_closed_total', { limit: 'host' })).toBe(flood - MAX_HANDSHAKES_PER_HOST)

    // A knows nothing of B: only B's inbound dial can join them
    const B = await cluster.create({ bootstrap: [A.multiaddrs[0].toString()] })
    await B.start()
    // well within the 10 s libp2p waits on each idle socket before it drops it
    await waitFor(() => A.peers().some(p => p.peerId === B.peerId.toString()), {
      timeout: 4_000,
      message: 'A to count B a member',
      state: () => ({ held: idle.held, connections: A.libp2p.getConnections().length })
    })
    expect(B.peers().some(p => p.peerId === A.peerId.toString())).toBe(true)
    // B's handshake was let go once upgraded: what waits is the idle sockets still open
    expect(await metric(A, 'vguard_handshakes_waiting')).toBe(idle.held)

    idle.destroy()
    await waitFor(async () => await metric(A, 'vguard_handshakes_waiting') === 0, { timeout: 5_000, message: 'A to forget the closed handshakes' })
    // each one's end was heard (upgraded or closed): none was let go for having been held too long
    expect(await metric(A, 'vguard_handshakes_forgotten_total')).toBe(0)
  }, 30_000)

  /**
   * The room wired as in src/node/libp2p.ts, on a bare libp2p node whose
   * upgrade timeout is short enough to wait out: every way a handshake ends
   * through the real upgrader and TCP listener lets it go.
   */
  describe('every handshake is let go however it ends', () => {
    let node: Libp2p | undefined
    afterEach(async () => { await node?.stop() })

    async function guarded (room: HandshakeRoom): Promise<Libp2p> {
      const n = node = await createLibp2p({
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionGater: { denyInboundConnection: (maConn) => { room.admit(maConn); return false } },
        connectionManager: { inboundUpgradeTimeout: 1_000, inboundConnectionThreshold: 1_000 }
      })
      n.addEventListener('connection:open', (evt) => { room.upgraded(evt.detail) })
      return n
    }

    it('timed out, failed, upgraded: none is held afterwards', async () => {
      const room = new HandshakeRoom()
      const target = await guarded(room)
      await idle.open(tcpPort(target), 10)
      await waitFor(() => room.size === 10, { timeout: 5_000, message: 'the idle handshakes to be held', state: () => room.size })
      // libp2p gives up on them after its upgrade timeout and closes them
      await waitFor(() => room.size === 0, { timeout: 5_000, message: 'the timed-out handshakes to be let go', state: () => room.size })
      // and the sockets hear of it a moment later
      await waitFor(() => idle.held === 0, { timeout: 1_000, message: 'the idle sockets to be closed', state: () => idle.held })

      await idle.open(tcpPort(target), 10, 'not multistream-select\n')
      await waitFor(() => idle.held === 0, { timeout: 5_000, message: 'the failed handshakes to be closed', state: () => idle.held })
      await waitFor(() => room.size === 0, { timeout: 1_000, message: 'the failed handshakes to be let go', state: () => room.size })

      const dialler = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
      try {
        const connection = await dialler.dial(target.getMultiaddrs()[0], { signal: AbortSignal.timeout(5_000) })
        // let go once upgraded, while the connection stays open
        expect(connection.status).toBe('open')
        await waitFor(() => target.getConnections().length === 1, { timeout: 5_000, message: 'the dial to be upgraded at the target' })
        expect(room.size).toBe(0)
        expect(room.closed()).toEqual({ host: 0, total: 0 })
      } finally {
        await dialler.stop()
      }
    }, 30_000)
  })
})
