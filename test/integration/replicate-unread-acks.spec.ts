/**
 * A backup whose proposer stops reading its answers. Every acknowledgement
 * goes out from the backup's appender, and DONE, the refusals and the end of
 * the transfer all wait on that appender: an acknowledgement written with no
 * deadline, to a proposer that paused its end of the stream, waited for room
 * forever, and the room the offer reserved (on the proposer's word: all the
 * free room if it likes) and its owner's slot with it (found in review:
 * honest vehicles got NO_CAPACITY for as long as the member's connection
 * stayed up). Each answer must now go out within the message timeout, or the
 * backup resets the stream and gives everything back.
 *
 * Real nodes over TCP on 127.0.0.1, real LevelDB; the backup runs its
 * service on a test protocol with a short message timeout; the member is
 * scripted.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { pbStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock, emptyTip, encodeBlock, tipOf } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { ChainStore } from '../../src/storage/index.ts'
import { ReplicateService } from '../../src/protocols/replicate/index.ts'
import { MAX_WINDOW_BYTES } from '../../src/protocols/replicate/constants.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'

const MiB = 1024 * 1024
const ROOM = 64 * MiB
/** Frames of one small block each: their acknowledgements (~40 bytes each, ~2.7 MB) overfill the stream's yamux window (2 MiB by then). */
const FRAMES = 70_000
const MESSAGE_TIMEOUT = 3_000

function service (node: VGuardNode, protocol: string): ReplicateService {
  return new ReplicateService({
    libp2p: node.libp2p,
    store: node.chains,
    logger: defaultLogger(),
    // a capacity of ROOM bytes, less what the node holds (as VGuardDB.freeCapacity)
    freeCapacity: async () => Math.max(0, ROOM - (await node.chains.chains()).reduce((n, c) => n + c.bytes, 0)),
    onStored: async () => {}
  }, { protocol, messageTimeout: MESSAGE_TIMEOUT })
}

/** The store, but its appends wait until `open` is called (a disk far slower than the link). */
function slowStore (store: ChainStore): { store: ChainStore, open: () => void } {
  let open: () => void = () => {}
  const gate = new Promise<void>(resolve => { open = resolve })
  const slowed = new Proxy(store, {
    get (target, prop, receiver) {
      if (prop === 'appendMany') {
        return async (blocks: Block[], options?: { sync?: boolean }) => {
          await gate
          return await target.appendMany(blocks, options)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
  return { store: slowed, open }
}

function request (chainId: string, req: Partial<ReplicateRequest> & Pick<ReplicateRequest, 'type'>): ReplicateRequest {
  return { chainId, height: 0, tipHash: new Uint8Array(0), bytes: 0, epoch: 1, reset: false, blocks: [], ...req }
}

describe('replicate - a proposer that stops reading the backup\'s answers', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('is reset once an acknowledgement is overdue: the room its offer reserved and its owner\'s slot go back', async () => {
    const [B, R, H] = await connectedSwarm(cluster, 3)
    const protocol = `/test/replicate-unread-acks/${process.pid}`
    const backup = service(B, protocol)
    await backup.start()
    const streams: Stream[] = []
    try {
      const chainId = R.peerId.toString()
      // R's chain, made in memory: the backup checks the blocks as it appends them
      const frames: Uint8Array[] = []
      let prev = emptyTip(chainId)
      for (let i = 0; i < FRAMES; i++) {
        const block = createBlock({ prev, proposer: chainId, timestamp: Date.now(), transactions: [{ key: `k${i}`, value: new Uint8Array(64).fill(i % 256) }] })
        frames.push(encodeBlock(block))
        prev = tipOf(block)
      }
      const offer = async (bytes: number): Promise<{ pbs: ReturnType<typeof pbStream>, answer: ReplicateResponse }> => {
        const stream = await R.libp2p.dialProtocol(B.peerId, protocol)
        streams.push(stream)
        const pbs = pbStream(stream)
        await pbs.write(request(chainId, { type: ReplicateRequest.Type.OFFER, height: prev.height, tipHash: prev.hash as Uint8Array<ArrayBuffer>, bytes }), ReplicateRequest)
        return { pbs, answer: await pbs.read(ReplicateResponse) }
      }
      // it asks for the whole room, as any member may
      const { pbs, answer } = await offer(ROOM)
      expect(answer.status).toBe(ReplicateResponse.Status.OK)
      expect(backup.reservedBytes).toBe(ROOM)
      // from now on it reads nothing: yamux sends the backup no more window for its answers
      streams[0].pause()
      try {
        for (const block of frames) {
          await pbs.write(request(chainId, { type: ReplicateRequest.Type.BLOCKS, blocks: [block as Uint8Array<ArrayBuffer>] }), ReplicateRequest)
        }
        await pbs.write(request(chainId, { type: ReplicateRequest.Type.DONE, height: prev.height, tipHash: prev.hash as Uint8Array<ArrayBuffer> }), ReplicateRequest)
      } catch {
        // the backup may reset the stream before every frame is written: that is the point
      }

      await waitFor(() => backup.reservedBytes === 0, { timeout: 10 * MESSAGE_TIMEOUT, message: 'the backup to give the room back', state: () => backup.reservedBytes })
      // an honest vehicle with one small block to back up finds the room
      const own = H.peerId.toString()
      await H.chains.append(createBlock({ prev: await H.chains.tip(own), proposer: own, timestamp: Date.now(), transactions: [{ key: 'k', value: new Uint8Array(100) }] }))
      expect((await service(H, protocol).replicateTo(B.peerId, own)).height).toBe(1)
      // and the member's transfer is no longer under way: it may offer again (what the backup got of its chain is held)
      expect((await offer(0)).answer).toMatchObject({ status: ReplicateResponse.Status.OK, message: '' })
    } finally {
      for (const stream of streams) stream.abort(new Error('test over'))
      await backup.stop()
    }
  }, 120_000)

  it('is not read past the largest window: the backup holds no more decoded frames than that, and resets the stream once its reader is full', async () => {
    const [B, R] = await connectedSwarm(cluster, 2)
    const protocol = `/test/replicate-unread-acks/${process.pid}`
    const { store, open } = slowStore(B.chains)
    const backup = new ReplicateService({
      libp2p: B.libp2p,
      store,
      logger: defaultLogger(),
      freeCapacity: async () => 1024 * MiB,
      onStored: async () => {}
    }, { protocol })
    await backup.start()
    let stream: Stream | undefined
    try {
      const chainId = R.peerId.toString()
      // 64 blocks of ~1 MiB, made in memory: more than the backup's reader and its window of decoded frames together
      const blocks: Block[] = []
      let prev = emptyTip(chainId)
      for (let i = 0; i < 64; i++) {
        const block = createBlock({ prev, proposer: chainId, timestamp: Date.now(), transactions: [{ key: `k${i}`, value: new Uint8Array(MiB - 1024).fill(i) }] })
        blocks.push(block)
        prev = tipOf(block)
      }
      stream = await R.libp2p.dialProtocol(B.peerId, protocol)
      const sent = stream
      const pbs = pbStream(sent, { maxDataLength: 8 * MiB })
      // bytes 0: what the backup reserves is then exactly what the frames it took claimed, and it has not written yet
      await pbs.write(request(chainId, { type: ReplicateRequest.Type.OFFER, height: prev.height, tipHash: prev.hash as Uint8Array<ArrayBuffer> }), ReplicateRequest)
      expect((await pbs.read(ReplicateResponse)).status).toBe(ReplicateResponse.Status.OK)
      // every frame at once, no acknowledgement read: the window is ignored
      try {
        for (const block of blocks) {
          await pbs.write(request(chainId, { type: ReplicateRequest.Type.BLOCKS, blocks: [encodeBlock(block) as Uint8Array<ArrayBuffer>] }), ReplicateRequest)
        }
      } catch {
        // the backup resets the stream before it takes them all
      }
      await waitFor(() => sent.status !== 'open', { message: 'the backup to reset the stream', state: () => ({ status: sent.status, reserved: backup.reservedBytes }) })
      // the room claimed by frames taken and not written: the window (a block takes its hash more in the store than on the wire)
      expect(backup.reservedBytes).toBeLessThanOrEqual(MAX_WINDOW_BYTES + 64 * 32)
      open()
      await waitFor(() => backup.reservedBytes === 0, { message: 'the room to be given back', state: () => backup.reservedBytes })
    } finally {
      open()
      stream?.abort(new Error('test over'))
      await backup.stop()
    }
  }, 60_000)
})
