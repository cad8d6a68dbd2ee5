/**
 * A backup that stops taking bytes in the middle of a transfer (a vehicle cut
 * off without a reset, a process wedged) fills the stream's window, and the
 * proposer's next write waits for room that never comes. The proposer must
 * give up once the backup's acknowledgements are overdue (its per-message
 * timeout), not when the whole transfer's deadline ends or the connection's
 * liveness gives up: a replication round waits for the transfer before it
 * tries another backup. And a write the connection's end cuts short fails
 * with an Error that says why (src/protocols/framing.ts). Real nodes over TCP on 127.0.0.1 through a
 * relay that stops carrying bytes mid-transfer, real LevelDB on the proposer;
 * the backup is scripted.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { TestCluster } from '../utils/nodes.ts'
import { Relay } from '../utils/relay.ts'
import { proposerService } from '../utils/replicate.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { pbStream as framedStream } from '../../src/protocols/framing.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'

const MiB = 1024 * 1024
/** More than the replicate window (8 MiB): the writer is never held by the window alone. */
const BLOCKS = 40

async function grow (node: VGuardNode): Promise<void> {
  const chainId = node.peerId.toString()
  for (let i = 0; i < BLOCKS; i++) {
    const transactions = [{ key: `k${i}`, value: new Uint8Array(MiB - 1024).fill(i) }]
    await node.chains.append(createBlock({ prev: await node.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions }))
  }
}

describe('replicate - a backup that stops taking bytes', () => {
  const cluster = new TestCluster()
  const relays: Relay[] = []
  afterEach(async () => {
    await Promise.all(relays.splice(0).map(async r => { await r.close() }))
    await cluster.teardown()
  })

  /**
   * A connected to B through a relay; B's scripted backup takes the offer and then (`after`) one frame, or
   * nothing more: then the relay carries nothing more (`after: 'frame'`), or nothing to B (`after: 'offer'`:
   * B's answer to the offer still reaches A, which then writes frames B never takes).
   */
  async function stalledPair (after: 'frame' | 'offer' = 'frame'): Promise<{ A: VGuardNode, B: VGuardNode, protocol: string, cutOff: Promise<void> }> {
    const [A, B] = [await cluster.create(), await cluster.create()]
    await Promise.all([A.start(), B.start()])
    await grow(A)
    const relay = new Relay(Number(/\/tcp\/(\d+)/.exec(B.multiaddrs[0].toString())?.[1]))
    relays.push(relay)
    await A.libp2p.dial(multiaddr(`/ip4/127.0.0.1/tcp/${await relay.listen()}/p2p/${B.peerId.toString()}`))
    const protocol = `/test/replicate-stalled/${process.pid}`
    const { promise: cutOff, resolve } = Promise.withResolvers<void>()
    await B.libp2p.handle(protocol, async (stream) => {
      const pbs = pbStream(stream, { maxDataLength: 8 * MiB })
      await pbs.read(ReplicateRequest)
      if (after === 'offer') relay.pause('to-target')
      await pbs.write({ status: ReplicateResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), free: 1 << 30, message: '' }, ReplicateResponse)
      if (after === 'frame') {
        // the proposer took the offer's answer (it sends blocks): from now on the link carries nothing either way
        await pbs.read(ReplicateRequest, { limits: { blocks: 65_536 } })
        relay.pause()
      }
      resolve()
    })
    return { A, B, protocol, cutOff }
  }

  it('fails the transfer once the backup\'s acknowledgements are overdue, though the proposer is blocked writing to it', async () => {
    const { A, B, protocol, cutOff } = await stalledPair()
    // no deadline of the caller's: the transfer's own is 10 minutes, far past this test's timeout
    const transfer = proposerService(A, { protocol, messageTimeout: 1_000 }).replicateTo(B.peerId, A.peerId.toString())
    await cutOff
    // its first acknowledgement is overdue after 1 s; the connection's liveness would hang up after ~15 s
    await expect(transfer).rejects.toMatchObject({ name: 'TimeoutError', message: expect.stringMatching(/replicate-stalled.* timed out$/) })
  })

  it('fails the transfer too when the link goes silent right after the offer, before any frame reached the backup', async () => {
    const { A, B, protocol, cutOff } = await stalledPair('offer')
    const transfer = proposerService(A, { protocol, messageTimeout: 1_000 }).replicateTo(B.peerId, A.peerId.toString())
    await cutOff
    // a write waits for room only once the one before it could not all be sent: that frame is unacknowledged, and its
    // acknowledgement's timeout ends the write waiting behind it (a review asked about a write blocked with none pending)
    await expect(transfer).rejects.toMatchObject({ name: 'TimeoutError', message: expect.stringMatching(/replicate-stalled.* timed out$/) })
  })

  it('a write waiting for room when the connection is aborted fails with the abort\'s error, not the stream\'s close event', async () => {
    const [A, B] = [await cluster.create(), await cluster.create()]
    await Promise.all([A.start(), B.start()])
    const relay = new Relay(Number(/\/tcp\/(\d+)/.exec(B.multiaddrs[0].toString())?.[1]))
    relays.push(relay)
    const connection = await A.libp2p.dial(multiaddr(`/ip4/127.0.0.1/tcp/${await relay.listen()}/p2p/${B.peerId.toString()}`))
    const protocol = `/test/framing-abort/${process.pid}`
    await B.libp2p.handle(protocol, () => {})
    const stream = await A.libp2p.dialProtocol(B.peerId, protocol)
    relay.pause()
    // nothing reaches B now: the message fills the stream's window and the write waits for room
    const write = framedStream(stream).write({ type: ReplicateRequest.Type.BLOCKS, chainId: 'c', height: 0, tipHash: new Uint8Array(0), bytes: 0, epoch: 0, reset: false, blocks: [new Uint8Array(4 * MiB)] }, ReplicateRequest)
    write.catch(() => {})
    await waitFor(() => (stream as unknown as { writableNeedsDrain?: boolean }).writableNeedsDrain === true, { message: 'the write waits for room' })
    connection.abort(new Error('the cable was pulled'))
    const err = await write.then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ message: 'the cable was pulled' })
  })
})
