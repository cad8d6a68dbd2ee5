/**
 * Forwarded writes that a member crafts by hand on /vguard/write/1.0.0:
 * garbage, a frame longer than a request may be, a request for another
 * vehicle's chain or for this one's under another form of its id, a payload
 * that is not canonical, and a write id or idempotency key someone else
 * used. Each is refused with a typed answer (or the stream ends, unanswered,
 * for what is no request), nothing is written, and another writer's write is
 * never turned into a no-op. Real nodes over TCP on loopback.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { varint } from '../utils/mutate.ts'
import { encodeWrite } from '../../src/node/batch.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { WRITE_PROTOCOL, WriteRequest, WriteResponse } from '../../src/protocols/write/index.ts'
import { MAX_REQUEST_BYTES } from '../../src/protocols/write/constants.ts'
import { blocksWriting } from '../utils/chains.ts'

const utf8 = new TextEncoder()

/** `bytes` sent raw on a fresh write stream from `from` to `to`; the answer, if one came before the stream ended. */
async function rawExchange (from: VGuardNode, to: VGuardNode, bytes: Uint8Array): Promise<WriteResponse | undefined> {
  const stream = await from.libp2p.dialProtocol(to.peerId, WRITE_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const signal = AbortSignal.timeout(20_000)
  const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
  try {
    stream.send(bytes)
    await stream.close({ signal }).catch(() => {})
    return WriteResponse.decode((await lp.read({ signal })).subarray())
  } catch {
    // ended or reset without an answer
    expect(signal.aborted).toBe(false)
    return undefined
  } finally {
    stream.abort(new Error('exchange over'))
  }
}

const request = (r: Omit<Partial<WriteRequest>, 'payload'> & { payload?: Uint8Array }): Uint8Array => {
  const frame = WriteRequest.encode({ chainId: '', timeout: 10_000, skipReplication: true, writeId: new Uint8Array(), idempotencyKey: '', ...r, payload: Uint8Array.from(r.payload ?? []) })
  return new Uint8Array([...varint(frame.byteLength), ...frame])
}

describe('write protocol - requests crafted by a member', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('garbage, an oversized frame, another chain, another form of the id, a non-canonical payload: refused, nothing written', async () => {
    const [a, b, m] = await connectedSwarm(cluster, 3, { kBackups: 0 })
    const self = a.peerId.toString()
    await a.put('warm', utf8.encode('up'))
    const heights = async (): Promise<number[]> => await Promise.all([a, b].map(async n => (await n.chains.tip(n.peerId.toString())).height))
    const before = await heights()
    const payload = encodeWrite([{ key: 'forged', value: utf8.encode('x') }]).payload

    // no request at all: the stream ends, unanswered
    expect(await rawExchange(m, a, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBeUndefined()
    // a length past what a request may be, and a little of it
    expect(await rawExchange(m, a, new Uint8Array([...varint(MAX_REQUEST_BYTES + 1), ...new Uint8Array(1024)]))).toBeUndefined()
    // another vehicle's chain, and this vehicle's under another form of its id (a CID): not a's to write
    for (const chainId of [b.peerId.toString(), peerIdFromString(self).toCID().toString()]) {
      expect(await rawExchange(m, a, request({ chainId, payload })), chainId).toMatchObject({ status: WriteResponse.Status.REFUSED })
    }
    // a PUT with its empty value written out (protons would leave it out): not the canonical encoding
    const explicitEmpty = Uint8Array.of(0x0a, 0x05, 0x12, 0x01, 0x6b, 0x1a, 0x00)
    expect(await rawExchange(m, a, request({ chainId: self, payload: explicitEmpty }))).toMatchObject({ status: WriteResponse.Status.INVALID, message: expect.stringMatching(/bad payload/) })
    // no transactions; a chain id longer than any
    expect(await rawExchange(m, a, request({ chainId: self }))).toMatchObject({ status: WriteResponse.Status.INVALID })
    expect(await rawExchange(m, a, request({ chainId: 'x'.repeat(129), payload }))).toMatchObject({ status: WriteResponse.Status.INVALID, message: 'bad chain id' })
    expect(await heights()).toEqual(before)
    expect(await blocksWriting(a.chains, self, 'forged')).toBe(0)
    // and a writes on
    expect((await a.put('after', utf8.encode('x'))).height).toBe(before[0] + 1)
  })

  it('a write id or an idempotency key another writer used makes a write of its own: theirs is not turned into a no-op, and their retry gets their block', async () => {
    const [a, b, m] = await connectedSwarm(cluster, 3, { kBackups: 0 })
    const self = a.peerId.toString()
    const forward = async (from: VGuardNode, key: string, options: { writeId?: Uint8Array, idempotencyKey?: string }): Promise<WriteResponse> =>
      await from.consensus.writes.forward(a.peerId, self, encodeWrite([{ key, value: utf8.encode(key) }]).payload, { timeout: 20_000, waitForReplication: false, ...options })

    // b's write with an id; m sends its own write under the same id: m's is m's (ids are per sender)
    const id = randomBytes(16)
    const theirs = await forward(b, 'theirs', { writeId: id })
    expect(theirs.status).toBe(WriteResponse.Status.OK)
    const forgedId = await forward(m, 'forged-id', { writeId: id })
    expect(forgedId.status).toBe(WriteResponse.Status.OK)
    expect(forgedId.height).not.toBe(theirs.height)
    expect(await blocksWriting(a.chains, self, 'forged-id')).toBe(1)
    // b's retry is answered with its own block, not m's
    expect(await forward(b, 'theirs', { writeId: id })).toMatchObject({ status: WriteResponse.Status.OK, height: theirs.height })

    // a client's key with other transactions is another write; sent by m first, b's write under the key still commits
    const first = await forward(m, 'squatted', { idempotencyKey: 'gps-7' })
    const real = await forward(b, 'real', { idempotencyKey: 'gps-7' })
    expect(first.status).toBe(WriteResponse.Status.OK)
    expect(real.status).toBe(WriteResponse.Status.OK)
    expect(real.height).not.toBe(first.height)
    expect(await blocksWriting(a.chains, self, 'real')).toBe(1)
    // and the same key and transactions from anyone are the one write b made
    expect(await forward(m, 'real', { idempotencyKey: 'gps-7' })).toMatchObject({ status: WriteResponse.Status.OK, height: real.height })
    expect(await blocksWriting(a.chains, self, 'real')).toBe(1)
  })
})
