/**
 * The asking side of a request/response protocol once its answer is in
 * (withStream: read, write, replicate, release, peer exchange), over real
 * libp2p: a peer that goes on sending after its answer and never ends its
 * side must not keep the stream, and what it sends, in the asker's memory.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { pbStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { READ_PROTOCOL, ReadRequest, ReadResponse, readRequest, readResponse } from '../../src/protocols/read/index.ts'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'

describe('protocols - an asker ends a finished exchange', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a read answered by a peer that then sends on and keeps its end open: the asker drops the rest and resets the stream', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    // m answers a read, then sends 8 MiB more (within the reader's buffer) and never ends its side
    let sentAfter = 0
    await m.libp2p.unhandle(READ_PROTOCOL)
    await m.libp2p.handle(READ_PROTOCOL, async (stream: Stream) => {
      const pbs = pbStream(stream, { maxDataLength: 64 * 1024 * 1024 })
      try {
        await pbs.read(ReadRequest)
        await pbs.write(readResponse({ status: ReadResponse.Status.NOT_FOUND, message: 'no such chain' }), ReadResponse)
        const junk = new Uint8Array(1024 * 1024)
        for (let i = 0; i < 8; i++) {
          if (!stream.send(junk)) await new Promise(resolve => { stream.addEventListener('drain', resolve, { once: true }) })
          sentAfter += junk.byteLength
        }
        await new Promise(() => {})
      } catch (err) {
        stream.abort(err as Error)
      }
    })
    const answer = await a.vguarddb.read.ask(m.peerId, readRequest({ kind: ReadRequest.Kind.TIP, chainId: m.peerId.toString() }))
    expect(answer.status).toBe(ReadResponse.Status.NOT_FOUND)
    await waitFor(() => sentAfter === 8 * 1024 * 1024, { message: 'm sent its 8 MiB' })
    const streams = (): Stream[] => a.libp2p.getConnections(m.peerId).flatMap(c => c.streams).filter(s => s.protocol === READ_PROTOCOL)
    await waitFor(() => streams().length === 0, { timeout: 30_000, message: 'a\'s read stream to m ended', state: () => streams().map(s => `${s.status} ${s.readStatus} ${s.writeStatus}`) })
  })
})
