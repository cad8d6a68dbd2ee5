/**
 * A requester that credits what it never got: the responder's frames wait in
 * its streams' write buffers (the link stops carrying anything back), and a
 * CREDIT gives back only bytes that left them, so what they hold stays in the
 * serve budget. A probe's requester, crediting 16 MiB every 300 ms on many
 * streams, had the responder hold ~130 MiB past the budget; in one process
 * the requester's muxer took the frames in, so only a link that stops
 * carrying them shows it. Real nodes over TCP on 127.0.0.1 through a relay
 * that stops reading the responder's socket, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream } from '@libp2p/interface'
import { TestCluster } from '../utils/nodes.ts'
import { Relay } from '../utils/relay.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock } from '../../src/chain/index.ts'
import { serveBudget } from '../../src/protocols/sync/handler.ts'
import { SyncRequest } from '../../src/protocols/sync/pb/sync.ts'
import { MAX_WINDOW_BYTES } from '../../src/protocols/sync/constants.ts'

const MiB = 1024 * 1024
const BLOCKS = 48
const STREAMS = 16

describe('sync - credit for frames still in the write buffer', () => {
  const cluster = new TestCluster()
  const relays: Relay[] = []
  const streams: Stream[] = []
  afterEach(async () => {
    for (const s of streams.splice(0)) s.abort(new Error('test over'))
    await Promise.all(relays.splice(0).map(async r => { await r.close() }))
    await cluster.teardown()
  })

  it('a requester crediting what it never got has every byte the responder\'s streams buffer counted in the budget', async () => {
    const [A, B] = [await cluster.create(), await cluster.create()]
    await Promise.all([A.start(), B.start()])
    const chainId = B.peerId.toString()
    for (let i = 0; i < BLOCKS; i++) {
      await B.chains.append(createBlock({ prev: await B.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: `k${i}`, value: new Uint8Array(MiB - 1024).fill(i) }] }))
    }
    const relay = new Relay(Number(/\/tcp\/(\d+)/.exec(B.multiaddrs[0].toString())?.[1]))
    relays.push(relay)
    await A.libp2p.dial(multiaddr(`/ip4/127.0.0.1/tcp/${await relay.listen()}/p2p/${chainId}`))
    await waitFor(() => A.peers().length === 1 && B.peers().length === 1, { message: 'members of each other' })

    const lps = []
    for (let i = 0; i < STREAMS; i++) {
      const stream = await A.libp2p.dialProtocol(B.peerId, B.sync.protocol)
      streams.push(stream)
      // A takes in whatever reaches it (it never reads): its streams are not reset for it
      const lp = lpStream(stream, { maxBufferSize: 1024 * MiB })
      await lp.write(SyncRequest.encode({ type: SyncRequest.Type.BLOCKS, chainId, from: 1, to: 0, credit: MAX_WINDOW_BYTES, headers: false }))
      lps.push(lp)
    }
    // nothing B sends leaves its socket from now on, and A credits the whole window again and again
    relay.stopReadingTarget()
    const credit = SyncRequest.encode({ type: SyncRequest.Type.CREDIT, chainId, from: 0, to: 0, credit: MAX_WINDOW_BYTES, headers: false })
    const budget = serveBudget(B.chains)
    const buffered = (): number => B.libp2p.getConnections(A.peerId).flatMap(c => c.streams)
      .filter(s => s.protocol === B.sync.protocol).reduce((n, s) => n + s.writeBufferLength, 0)
    let most = 0
    for (let round = 0; round < 20; round++) {
      await Promise.all(lps.map(async lp => { await lp.write(credit).catch(() => {}) }))
      await new Promise(resolve => setTimeout(resolve, 100))
      most = Math.max(most, buffered())
      // every byte B's streams hold is in A's share of the budget, never given back on A's word (but the few
      // bytes of each frame's length prefix, which the budget does not count)
      expect(buffered()).toBeLessThanOrEqual(budget.inFlight(A.peerId.toString()) + 1024)
    }
    expect(most).toBeGreaterThan(0)
  })
})
