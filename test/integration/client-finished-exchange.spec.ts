/**
 * The asking side of a request/response protocol once its answer is in
 * (withStream: read, write, replicate, release, peer exchange), over real
 * libp2p: a peer that goes on sending after its answer and never ends its
 * side must not keep the stream, and what it sends, in the asker's memory;
 * one that answers before it took the whole request must not keep the asker
 * waiting, with its answer in hand, for a close that cannot end.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { pbStream } from '@libp2p/utils'
import type { ProtobufEncoder } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { READ_PROTOCOL, ReadRequest, ReadResponse, readRequest, readResponse } from '../../src/protocols/read/index.ts'
import { WRITE_PROTOCOL, WriteResponse } from '../../src/protocols/write/index.ts'
import { RELEASE_PROTOCOL } from '../../src/protocols/release/index.ts'
import { MESSAGE_TIMEOUT } from '../../src/protocols/release/constants.ts'
import { MAX_WRITE_TIMEOUT } from '../../src/protocols/write/constants.ts'
import { ReleaseResponse } from '../../src/protocols/release/pb/release.ts'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { waitFor } from '../utils/wait.ts'

/**
 * `m` answers `protocol` with `answer` before it has taken the whole request, takes one window more (so an
 * asker waiting for room goes on to read the answer), then no more, holding the stream open: a close by the
 * asker would have bytes to wait for, until its deadline. How many bytes of the request `m` had taken then.
 */
async function answerThenStall<T> (m: VGuardNode, protocol: string, codec: { encode: ProtobufEncoder<T> }, answer: T): Promise<() => number> {
  let received = 0
  await m.libp2p.unhandle(protocol)
  await m.libp2p.handle(protocol, async (stream: Stream) => {
    stream.pause()
    try {
      await pbStream(stream, { maxDataLength: 8 * 1024 * 1024 }).write(answer, codec)
      stream.resume()
      stream.pause()
      received = stream.readBufferLength
      await new Promise(() => {})
    } catch (err) {
      stream.abort(err as Error)
    }
  })
  return () => received
}

/** `work`'s outcome (a value or an error) once it settles, for a test that waits for it to come before a deadline. */
function settles (work: Promise<unknown>): { done: boolean, outcome: unknown } {
  const state: { done: boolean, outcome: unknown } = { done: false, outcome: undefined }
  void work.then((value) => { state.outcome = value }, (err: unknown) => { state.outcome = err }).finally(() => { state.done = true })
  return state
}

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
  it('a forwarded write answered OK before the proposer took the whole request is the commit it was, back at once, not at its deadline or "may still commit"', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const chainId = m.peerId.toString()
    const hash = new Uint8Array(32).fill(7)
    // m answers OK before it has taken the whole request, and stops taking the rest (its end paused: no more window
    // for a's stream): a close would wait for a's unsent bytes until the write's deadline
    const received = await answerThenStall(m, WRITE_PROTOCOL, WriteResponse, {
      status: WriteResponse.Status.OK, height: 1, hash, leader: '', message: '', replication: WriteResponse.Replication.NOT_REPORTED, backups: [], error: '', mayHaveCommitted: false
    })
    const value = new Uint8Array(3 * 1024 * 1024).fill(1)
    // the longest deadline a write may have: the answer must come back well before it, not with it
    const written = settles(a.put('big', value, { chainId, timeout: MAX_WRITE_TIMEOUT }))
    await waitFor(() => written.done, { message: `the put returned, long before its ${MAX_WRITE_TIMEOUT} ms deadline`, state: () => received() })
    // the request did not go out whole: a close would have had bytes to wait for
    expect(received()).toBeLessThan(value.byteLength)
    expect(written.outcome).toMatchObject({ chainId, height: 1, hash })
  })
  // a read's case of this (an answer in, then a close that waits for unsent bytes) needed a request past the
  // 4 KiB limit: ask() refuses one before it opens a stream since 2026-12-03 (read-request-limit.spec.ts)
  it('a release answered deleted before the backup took the whole request is the deletion it was, back at once, not at its deadline or a TimeoutError', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    // as the read above (an honest backup reads 32 KiB of a request at most): the asker's side once the answer is in
    const received = await answerThenStall(m, RELEASE_PROTOCOL, ReleaseResponse, { status: ReleaseResponse.Status.OK, epoch: 2, deleted: true, message: '' })
    const table = new Uint8Array(3 * 1024 * 1024).fill(1)
    // no signal of the test's: the release's own deadline (MESSAGE_TIMEOUT) is the one it must not wait for
    const outcome = settles(a.vguarddb.release.release(m.peerId, table))
    await waitFor(() => outcome.done, { timeout: MESSAGE_TIMEOUT / 2, message: `the release returned, before its ${MESSAGE_TIMEOUT} ms deadline`, state: () => received() })
    expect(received()).toBeLessThan(table.byteLength)
    expect(outcome.outcome).toEqual({ epoch: 2, deleted: true })
  })
})
