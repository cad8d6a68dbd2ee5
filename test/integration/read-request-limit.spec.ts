/**
 * A read request is 4 KiB at most (the server reads no more). The client checks
 * its own request against that limit: one over it is refused before a stream is
 * opened, with a typed error, instead of being sent and reset by the server
 * (until 2026-12-03 the caller saw the reset).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import { ReadRequest, readRequest, MAX_REQUEST_BYTES } from '../../src/protocols/read/index.ts'

describe('read - the client keeps to the request limit', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a KEYS read with a prefix over the limit is refused here with RequestTooLargeError; the holder is never asked', async () => {
    const A = await cluster.create()
    await A.start()
    const B = await cluster.create()
    await B.start()
    await B.libp2p.dial(A.multiaddrs[0])
    const before = { ...A.vguarddb.read.stats }

    const oversized = readRequest({ kind: ReadRequest.Kind.KEYS, chainId: A.peerId.toString(), prefix: 'p'.repeat(MAX_REQUEST_BYTES + 1), limit: 1 })
    const err = await B.vguarddb.read.ask(A.peerId, oversized).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).toBe('RequestTooLargeError')
    expect(err?.message).toMatch(/request limit/)
    expect(A.vguarddb.read.stats).toEqual(before)

    // one at the limit's side of it still goes out and is answered (INVALID: a prefix longer than a key)
    const fits = readRequest({ kind: ReadRequest.Kind.KEYS, chainId: A.peerId.toString(), prefix: 'p'.repeat(2048), limit: 1 })
    const res = await B.vguarddb.read.ask(A.peerId, fits)
    expect(res.message).toMatch(/prefix longer than a key/)
  })
})
