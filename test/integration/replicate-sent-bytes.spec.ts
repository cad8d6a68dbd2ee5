/**
 * What a transfer that failed midway sent is counted: `replicate:finished`
 * and vguard_replicated_bytes_total counted only the bytes written by the
 * time of the backup's last acknowledgement, so a backup that took frames
 * and failed before acknowledging any was counted 0 bytes sent (a probe,
 * 2026-12-03). Real nodes over TCP on 127.0.0.1; the backup's replicate
 * handler is a hand-written one that takes one frame and resets the stream.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { pbStream } from '@libp2p/utils'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { sample, scrape } from '../utils/prometheus.ts'
import type { ReplicateFinishedDetail, VGuardNode } from '../../src/node/index.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/index.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'

const utf8 = new TextEncoder()

/** `b` takes every offer, reads the first frame of blocks, and resets the stream before acknowledging it; resolves each frame's size. */
async function failAfterOneFrame (b: VGuardNode, frames: number[]): Promise<void> {
  await b.libp2p.unhandle(REPLICATE_PROTOCOL)
  await b.libp2p.handle(REPLICATE_PROTOCOL, async (stream) => {
    const pbs = pbStream(stream, { maxDataLength: 16 * 1024 * 1024 })
    await pbs.read(ReplicateRequest)
    await pbs.write({ status: ReplicateResponse.Status.OK, height: 0, tipHash: new Uint8Array(), free: 1024 * 1024 * 1024, message: '' }, ReplicateResponse)
    const frame = await pbs.read(ReplicateRequest)
    frames.push(frame.blocks.reduce((n, block) => n + block.byteLength, 0))
    stream.abort(new Error('the backup failed before its acknowledgement'))
  })
}

describe('replicate - bytes sent by a transfer that failed', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('are told in replicate:finished and counted in vguard_replicated_bytes_total, acknowledged or not', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const frames: number[] = []
    await failAfterOneFrame(b, frames)
    const finished: ReplicateFinishedDetail[] = []
    a.addEventListener('replicate:finished', (e) => { finished.push(e.detail) })
    const { url } = await cluster.http(a)

    const round = await a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'gps/1', value: utf8.encode('-27.7102,-51.0902') }] })
    expect(round.complete).toBe(false)
    expect(frames).toHaveLength(1)
    expect(finished).toHaveLength(1)
    expect(finished[0].error).toBeDefined()
    // the frame the backup read was sent, though never acknowledged
    expect(finished[0].sentBytes).toBeGreaterThanOrEqual(frames[0])
    expect(sample(await scrape(url), 'vguard_replicated_bytes_total')).toBe(finished[0].sentBytes)
  })
})
