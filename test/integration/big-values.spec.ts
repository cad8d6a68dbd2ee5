/**
 * Values at the size limits, on real nodes (libp2p over TCP on 127.0.0.1).
 * Stream readers buffer 4 MiB unless told otherwise (@libp2p/utils), and a
 * frame larger than that reset the stream: the accept of a maximal block
 * never reached the acceptors, its slot stayed outstanding, and the one
 * paxos stream per peer pair that all chains share kept being cut.
 */
import { randomBytes } from 'node:crypto'
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { encodePayload, MAX_PAYLOAD_BYTES } from '../../src/chain/index.ts'
import { MAX_BODY_BYTES } from '../../src/http/server.ts'

const utf8 = new TextEncoder()

/** Byte equality: toEqual walks a 4 MiB array element by element, for seconds. */
function same (a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a != null && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

/** The largest value one put of `key` may carry: its payload is exactly MAX_PAYLOAD_BYTES. */
function maxValueLength (key: string): number {
  const overhead = encodePayload([{ key, value: new Uint8Array(MAX_BODY_BYTES) }]).payload.byteLength - MAX_BODY_BYTES
  const length = MAX_PAYLOAD_BYTES - overhead
  expect(encodePayload([{ key, value: new Uint8Array(length) }]).payload.byteLength).toBe(MAX_PAYLOAD_BYTES)
  return length
}

describe('values at the size limit', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a maximal block commits on the own chain, and later writes on it and on another chain commit', async () => {
    const nodes = await connectedSwarm(cluster, 4, { kBackups: 2, commitTimeout: 20_000 })
    const [a, b] = nodes
    const self = a.peerId.toString()
    await a.put('warmup', utf8.encode('x'))
    await b.put('warmup', utf8.encode('x'))

    const value = randomBytes(maxValueLength('max'))
    const big = await a.put('max', value)
    expect(same((await a.chains.get(self, 'max'))?.value, value)).toBe(true)

    // the chain and the shared paxos streams still work: quick commits, no timeouts
    const after = await a.put('after', utf8.encode('small'), { timeout: 5_000 })
    expect(after.height).toBe(big.height + 1)
    await b.put('other', utf8.encode('small'), { timeout: 5_000 })
    expect(a.consensus.status().find(r => r.chainId === self)?.outstanding).toBe(0)
    // no paxos stream was cut for a frame over a reader's limit
    for (const n of nodes) expect(n.consensus.driver.transport.stats.malformedFrames).toBe(0)
  })

  it('a 4 MiB value forwarded through a non-proposer commits on the proposer\'s chain', async () => {
    const nodes = await connectedSwarm(cluster, 4, { kBackups: 2, commitTimeout: 20_000 })
    const [a, , c] = nodes
    const owner = a.peerId.toString()
    await a.put('warmup', utf8.encode('x'))

    const value = randomBytes(MAX_BODY_BYTES)
    const res = await c.put('fwd', value, { chainId: owner })
    expect(res.chainId).toBe(owner)
    await waitFor(async () => (await a.chains.get(owner, 'fwd'))?.value != null, { message: 'forwarded value applied at its proposer' })
    expect(same((await a.chains.get(owner, 'fwd'))?.value, value)).toBe(true)
    // and the forwarding path still takes small writes
    await c.put('fwd-after', utf8.encode('small'), { chainId: owner, timeout: 5_000 })
    // and the value reads back whole from another node, from the proposer and from a quorum of holders
    await waitFor(() => (c.vguarddb.tables.get(owner)?.table.height ?? 0) >= res.height, { message: 'c knows the table at that height' })
    for (const consistency of ['leader', 'quorum'] as const) {
      const read = await c.get(owner, 'fwd', { consistency })
      expect(same(read.value, value), consistency).toBe(true)
    }
  })
})
