/**
 * The proposer sends DONE right behind its last frame, and reads the frames'
 * acknowledgements and then DONE's answer, in order. A scripted backup (real
 * nodes over TCP on 127.0.0.1, real LevelDB on the proposer) shows both: it
 * takes DONE before acknowledging any frame (a proposer that waited for the
 * acknowledgements first would never send it), and a frame it refuses after
 * DONE arrived still fails the transfer.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { pbStream } from '@libp2p/utils'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { proposerService } from '../utils/replicate.ts'
import { createBlock, decodeBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReplicateRefusedError } from '../../src/protocols/replicate/index.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'

const BLOCKS = 6

async function grow (node: VGuardNode): Promise<void> {
  const chainId = node.peerId.toString()
  for (let i = 0; i < BLOCKS; i++) {
    // 150 KiB blocks: three per frame (frames are about 512 KiB), so the transfer has several
    // frames, and all of them fit the window a transfer starts with (1 MiB, window.ts): the
    // scripted backup acknowledges none before DONE
    const transactions = Array.from({ length: 3 }, (_, j) => ({ key: `k${i}-${j}`, value: new Uint8Array(50 * 1024).fill(i) }))
    await node.chains.append(createBlock({ prev: await node.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions }))
  }
}

type Verdict = (frames: number) => Partial<ReplicateResponse>

/** A backup that reads every message up to DONE before it answers any frame, then answers each frame with `verdict`, then DONE. */
async function scriptedBackup (node: VGuardNode, protocol: string, verdict: Verdict): Promise<{ frames: () => number, sawDone: Promise<boolean> }> {
  let frames = 0
  const { promise: sawDone, resolve } = Promise.withResolvers<boolean>()
  await node.libp2p.handle(protocol, async (stream) => {
    const pbs = pbStream(stream)
    const ok = { status: ReplicateResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), free: 1 << 30, message: '' }
    const offer = await pbs.read(ReplicateRequest)
    expect(offer.type).toBe(ReplicateRequest.Type.OFFER)
    await pbs.write(ok, ReplicateResponse)
    let height = 0
    let tipHash = new Uint8Array(0)
    while (true) {
      const req = await pbs.read(ReplicateRequest, { limits: { blocks: 65_536 } })
      if (req.type === ReplicateRequest.Type.DONE) break
      frames++
      const last = decodeBlock(req.blocks[req.blocks.length - 1])
      height = last.header.height
      tipHash = new Uint8Array(last.hash)
    }
    resolve(true)
    for (let i = 1; i <= frames; i++) await pbs.write({ ...ok, height, tipHash, ...verdict(i) }, ReplicateResponse)
    await pbs.write({ ...ok, height, tipHash }, ReplicateResponse)
    await stream.close()
  })
  return { frames: () => frames, sawDone }
}

describe('replicate - DONE follows the last frame at once', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a backup that answers nothing before DONE still gets DONE, and the transfer completes once it answers', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    await grow(A)
    const protocol = `/test/replicate-done/${process.pid}/ok`
    const backup = await scriptedBackup(B, protocol, () => ({}))
    const result = await proposerService(A, { protocol, messageTimeout: 2_000 }).replicateTo(B.peerId, A.peerId.toString())
    expect(await backup.sawDone).toBe(true)
    expect(backup.frames()).toBeGreaterThan(1)
    expect(result).toMatchObject({ height: BLOCKS, sentBlocks: BLOCKS, resumedFrom: 0 })
  })

  it('a frame refused after DONE was sent fails the transfer: DONE\'s answer is not taken for the frame\'s', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    await grow(A)
    const protocol = `/test/replicate-done/${process.pid}/refused`
    const backup = await scriptedBackup(B, protocol, (frame) => frame === backup.frames() ? { status: ReplicateResponse.Status.INVALID, message: 'bad block' } : {})
    const refused = proposerService(A, { protocol, messageTimeout: 2_000 }).replicateTo(B.peerId, A.peerId.toString())
    await expect(refused).rejects.toThrow(ReplicateRefusedError)
    // a frame's refusal carries its status as the offer's does
    await expect(refused).rejects.toMatchObject({ status: 'INVALID', message: expect.stringMatching(/^backup refused blocks: INVALID: bad block/) })
    expect(await backup.sawDone).toBe(true)
  })
})
