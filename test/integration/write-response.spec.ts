/**
 * What a forwarding node takes from a proposer's WriteResponse about the
 * replication round: real libp2p nodes, a proposer side that answers what the
 * test makes it answer. More backups than k can be is refused whole; a
 * pending round names no backups whatever the answer lists. Over HTTP, a
 * malformed answer is 503 (the write may still have committed), as is a
 * failure under an error name not known here, an OK without a block 502
 * (with mayHaveCommitted: the proposer took the write), a refusal 403.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { WRITE_PROTOCOL, WriteService, replicationOf } from '../../src/protocols/write/index.ts'
import type { WriteCommitted } from '../../src/protocols/write/index.ts'
import { WriteRequest, WriteResponse } from '../../src/protocols/write/pb/write.ts'
import { encodeWrite } from '../../src/node/batch.ts'
import { ConsensusStoppedError } from '../../src/node/consensus-errors.ts'

const PROTOCOL = '/vguard-test/write-response/1.0.0'
const payload = encodeWrite([{ key: 'k', value: new Uint8Array([1]) }]).payload

function writeService (node: VGuardNode, onWrite: () => Promise<WriteCommitted> = async () => ({ height: 1, hash: new Uint8Array(32) })): WriteService {
  return new WriteService({ libp2p: node.libp2p, logger: defaultLogger(), isMember: () => true, onWrite }, { protocol: PROTOCOL })
}

/** The proposer side answers every request on `protocol` with `res`, or with raw bytes. */
async function answerWith (node: VGuardNode, res: Partial<WriteResponse> | Uint8Array, protocol = PROTOCOL): Promise<void> {
  await node.libp2p.handle(protocol, async (stream) => {
    const pbs = pbStream(stream)
    await pbs.read(WriteRequest)
    if (res instanceof Uint8Array) pbs.unwrap().send(res)
    else await pbs.write({ status: WriteResponse.Status.OK, height: 1, hash: new Uint8Array(32), leader: '', message: '', replication: WriteResponse.Replication.NOT_REPORTED, backups: [], error: '', mayHaveCommitted: false, ...res }, WriteResponse)
    await stream.close()
  })
}

describe('write - the replication report in a proposer\'s answer', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('round-trips what the proposer reports', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const served = writeService(b, async () => ({ height: 7, hash: new Uint8Array(32), replication: { state: 'partial', backups: ['p1'], problem: 'p2: NoCapacityError: no room' } }))
    await served.start()
    const res = await writeService(a).forward(b.peerId, 'chain', payload, { timeout: 5_000 })
    expect(res).toMatchObject({ status: WriteResponse.Status.OK, height: 7 })
    expect(replicationOf(res)).toEqual({ state: 'partial', backups: ['p1'], problem: 'p2: NoCapacityError: no room' })
    await served.stop()
  })

  it('a proposer whose consensus stopped says so, and whether the write was proposed (it may still commit)', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    let proposed = true
    const served = writeService(b, async () => { throw new ConsensusStoppedError('consensus of b stopped', proposed) })
    await served.start()
    const writes = writeService(a)
    expect(await writes.forward(b.peerId, 'chain', payload, { timeout: 5_000 }))
      .toMatchObject({ status: WriteResponse.Status.ERROR, error: 'ConsensusStoppedError', mayHaveCommitted: true, message: 'consensus of b stopped' })
    proposed = false
    expect(await writes.forward(b.peerId, 'chain', payload, { timeout: 5_000 }))
      .toMatchObject({ status: WriteResponse.Status.ERROR, error: 'ConsensusStoppedError', mayHaveCommitted: false })
    await served.stop()
  })

  it('draining before a stop: a write being committed gets its answer, one that comes now is not taken', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const release = Promise.withResolvers<void>()
    let started = (): void => {}
    const committing = new Promise<void>((resolve) => { started = resolve })
    const served = writeService(b, async () => {
      started()
      await release.promise
      return { height: 3, hash: new Uint8Array(32) }
    })
    await served.start()
    const writes = writeService(a)
    const first = writes.forward(b.peerId, 'chain', payload, { timeout: 10_000 })
    await committing
    let drained = false
    const drain = served.drain(10_000).then(() => { drained = true })
    expect(await writes.forward(b.peerId, 'chain', payload, { timeout: 5_000 }))
      .toMatchObject({ status: WriteResponse.Status.ERROR, error: 'NodeStoppingError', mayHaveCommitted: false })
    expect(drained).toBe(false)
    release.resolve()
    expect(await first).toMatchObject({ status: WriteResponse.Status.OK, height: 3 })
    await drain
    await served.stop()
    // a grace that is no number of ms drained nothing and said nothing
    for (const grace of [-1, Number.NaN, Infinity, '5000' as unknown as number]) {
      await expect(a.drain(grace), String(grace)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/^drain\(graceMs\): a number of ms from 0, got/) })
    }
  })

  it('more backups than k can be is refused whole; pending names none; not reported stays undefined', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const writes = writeService(a)
    await answerWith(b, { replication: WriteResponse.Replication.COMPLETE, backups: Array.from({ length: 65 }, (_, i) => `p${i}`) })
    await expect(writes.forward(b.peerId, 'chain', payload, { timeout: 5_000 })).rejects.toThrow(/backups/)

    await b.libp2p.unhandle(PROTOCOL)
    await answerWith(b, { replication: WriteResponse.Replication.PENDING, backups: ['p1', 'p2'] })
    expect(replicationOf(await writes.forward(b.peerId, 'chain', payload, { timeout: 5_000 }))).toEqual({ state: 'pending', backups: [] })

    await b.libp2p.unhandle(PROTOCOL)
    await answerWith(b, {})
    expect(replicationOf(await writes.forward(b.peerId, 'chain', payload, { timeout: 5_000 }))).toBeUndefined()
  })
})

describe('write - a forwarded write whose proposer answers badly, over HTTP', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a malformed answer is 503 ProposerUnreachableError saying the write may still commit; OK without a block is 502 ProtocolError, and may have committed too', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const url = `${api.url}/chains/${m.peerId.toString()}/kv/k`
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    // field 15 with wire type 7, which does not exist: protons threw a plain Error for it
    await answerWith(m, Uint8Array.of(1, 0x7f), WRITE_PROTOCOL)
    let res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    const unreachable = await res.json()
    expect(unreachable.error).toBe('ProposerUnreachableError')
    expect(unreachable.message).toMatch(/malformed write answer.*may still commit/)
    // an unkeyed write is not told to retry with a key it never had (a soak)
    expect(unreachable.message).toMatch(/a retry may commit it twice: an idempotency key makes a retry safe\)$/)
    res = await fetch(url, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'malformed-1' } })
    expect(res.status).toBe(503)
    expect((await res.json()).message).toMatch(/a retry with the same idempotency key is answered, not committed again\)$/)

    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { height: 0, hash: new Uint8Array() }, WRITE_PROTOCOL)
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(502)
    // the proposer took the write and answered: it may have committed it, whatever its answer lacks
    expect(await res.json()).toMatchObject({ error: 'ProtocolError', mayHaveCommitted: true, message: expect.stringMatching(/OK without a block.*may still commit.*a retry may commit it twice/) })
    res = await fetch(url, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'no-block-1' } })
    expect(res.status).toBe(502)
    expect(await res.json()).toMatchObject({ error: 'ProtocolError', mayHaveCommitted: true, message: expect.stringMatching(/a retry with the same idempotency key is answered/) })
    await expect(a.put('k', new Uint8Array([1]), { chainId: m.peerId.toString() })).rejects.toMatchObject({ name: 'ProtocolError', mayHaveCommitted: true })

    // a status this node does not know (a newer proposer's, field 1 = 99) does not decode: the answer is
    // malformed, the write was taken, and may still commit (503, as above)
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, Uint8Array.of(0x08, 99), WRITE_PROTOCOL)
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'ProposerUnreachableError', mayHaveCommitted: true })
  })

  it('a proposer that stopped its consensus under the write is 503 saying whether it may still commit, not 502', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const url = `${api.url}/chains/${m.peerId.toString()}/kv/k`
    const stopped = (mayHaveCommitted: boolean): Partial<WriteResponse> =>
      ({ status: WriteResponse.Status.ERROR, error: 'ConsensusStoppedError', mayHaveCommitted, message: 'consensus of m stopped' })
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, stopped(true), WRITE_PROTOCOL)
    let res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'ProposerUnreachableError', mayHaveCommitted: true, message: expect.stringMatching(/stopped its consensus: consensus of m stopped$/) })

    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, stopped(false), WRITE_PROTOCOL)
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    const body = await res.json() as Record<string, unknown>
    expect(body.error).toBe('ProposerUnreachableError')
    expect(body.mayHaveCommitted).toBeUndefined()

    // a proposer that is stopping did not take it: 503, nothing written
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.ERROR, error: 'NodeStoppingError', mayHaveCommitted: false, message: 'stopping' }, WRITE_PROTOCOL)
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    const stopping = await res.json() as Record<string, unknown>
    expect(stopping).toMatchObject({ error: 'ProposerUnreachableError', message: expect.stringMatching(/is stopping: the write was not taken/) })
    expect(stopping.mayHaveCommitted).toBeUndefined()

    // another error that may have committed is believed: 503 with the flag, so the client retries with its key
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.ERROR, error: 'StoreClosedError', mayHaveCommitted: true, message: 'store closed' }, WRITE_PROTOCOL)
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'ProposerUnreachableError', mayHaveCommitted: true, message: expect.stringMatching(/failed the write after proposing it \(StoreClosedError\): store closed$/) })
  })

  it('a proposer that failed the write with an error not known here took it: 503 CommitTimeoutError (it was reached), keyed or not', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const chainId = m.peerId.toString()
    const url = `${api.url}/chains/${chainId}/kv/k`
    // an error of a newer proposer, one that carries no flag (a closed store under the write), one of a peer that predates the error field
    for (const error of ['SomeNewError', 'StoreClosedError', '']) {
      await m.libp2p.unhandle(WRITE_PROTOCOL)
      await answerWith(m, { status: WriteResponse.Status.ERROR, error, mayHaveCommitted: false, message: 'something else' }, WRITE_PROTOCOL)
      const failed = new RegExp(`^${chainId}, proposer of ${chainId}, failed the write${error !== '' ? ` \\(${error}\\)` : ''}: something else \\(it took the write.*may still commit`)
      let res = await fetch(url, { method: 'PUT', body: 'v' })
      expect(res.status, error).toBe(503)
      expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(failed) })
      res = await fetch(url, { method: 'PUT', body: 'v', headers: { 'idempotency-key': `unknown-${error}` } })
      expect(res.status, error).toBe(503)
      expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(/a retry with the same idempotency key is answered/) })
      await expect(a.put('k', new Uint8Array([1]), { chainId, idempotencyKey: `unknown-lib-${error}` })).rejects.toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true })
    }

    // a proposer that does not count this node as a member did not take it (the request is not even read)
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.ERROR, error: 'NotMemberError', mayHaveCommitted: false, message: 'not a member of this network: the write was not taken' }, WRITE_PROTOCOL)
    let res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    const refused = await res.json() as Record<string, unknown>
    expect(refused).toMatchObject({ error: 'ProposerUnreachableError', message: expect.stringMatching(/does not count this node as a member.*the write was not taken/) })
    expect(refused.mayHaveCommitted).toBeUndefined()
    // keyed: an earlier attempt under the key may still commit
    res = await fetch(url, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'not-member-1' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'ProposerUnreachableError', mayHaveCommitted: true, message: expect.stringMatching(/earlier attempt under the same idempotency key/) })
  })

  it('a vehicle whose chain went another way than its backups\' refuses the write unproposed: 409 OwnChainConflictError, as on that vehicle, not "may still commit"', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const chainId = m.peerId.toString()
    const url = `${api.url}/chains/${chainId}/kv/k`
    const conflict = 'nothing was written: m\'s chain went another way than the one its backups hold'
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.ERROR, error: 'OwnChainConflictError', mayHaveCommitted: false, message: conflict }, WRITE_PROTOCOL)
    const res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(409)
    const body = await res.json() as Record<string, unknown>
    expect(body).toMatchObject({ error: 'OwnChainConflictError', message: `${chainId}, proposer of ${chainId}, refused the write: ${conflict}` })
    expect(body.mayHaveCommitted).toBeUndefined()
    await expect(a.put('k', new Uint8Array([1]), { chainId })).rejects.toMatchObject({ name: 'OwnChainConflictError' })
    // one the round after its block found (the block committed: flagged) stays "may still commit"
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.ERROR, error: 'OwnChainConflictError', mayHaveCommitted: true, message: 'the block is committed; its round failed' }, WRITE_PROTOCOL)
    await expect(a.put('k', new Uint8Array([1]), { chainId })).rejects.toMatchObject({ name: 'ProposerUnreachableError', mayHaveCommitted: true })
  })

  it('a peer that refuses the write (it does not write that chain) is 403 RefusedWriteError, and invalid is 400', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const url = `${api.url}/chains/${m.peerId.toString()}/kv/k`
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.REFUSED, height: 0, hash: new Uint8Array(), message: 'not mine' }, WRITE_PROTOCOL)
    let res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ error: 'RefusedWriteError', message: `${m.peerId.toString()} refused the write to ${m.peerId.toString()}: not mine` })
    await expect(a.put('k', new Uint8Array([1]), { chainId: m.peerId.toString() })).rejects.toMatchObject({ name: 'RefusedWriteError' })

    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.INVALID, height: 0, hash: new Uint8Array(), message: 'bad payload: 0 transactions' }, WRITE_PROTOCOL)
    res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'InvalidTransactionError', message: expect.stringMatching(/bad payload: 0 transactions$/) })
  })

  it('a vehicle that answers it does not lead its chain is 503 NotProposerError; a keyed write\'s carries mayHaveCommitted (an earlier attempt under the key may commit)', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const chainId = m.peerId.toString()
    const url = `${api.url}/chains/${chainId}/kv/k`
    await m.libp2p.unhandle(WRITE_PROTOCOL)
    await answerWith(m, { status: WriteResponse.Status.NOT_LEADER, height: 0, hash: new Uint8Array(), message: 'not now' }, WRITE_PROTOCOL)
    let res = await fetch(url, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    const unkeyed = await res.json() as Record<string, unknown>
    expect(unkeyed).toMatchObject({ error: 'NotProposerError', message: `${chainId} does not lead ${chainId}: not now` })
    expect(unkeyed.mayHaveCommitted).toBeUndefined()
    res = await fetch(url, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'not-leader-1' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'NotProposerError', mayHaveCommitted: true, message: expect.stringMatching(/^[^;]*: not now; an earlier attempt under the same idempotency key .* a retry with the key gets its outcome$/) })
    await expect(a.put('k', new Uint8Array([1]), { chainId, idempotencyKey: 'not-leader-2' })).rejects.toMatchObject({ name: 'NotProposerError', mayHaveCommitted: true })
  })

  it('a proposer that cannot be reached at all is 503 saying nothing was sent, not that the write may commit', async () => {
    const [a, m] = await connectedSwarm(cluster, 2)
    const api = await cluster.http(a)
    const gone = m.peerId.toString()
    await cluster.stopNode(m)
    const res = await fetch(`${api.url}/chains/${gone}/kv/k`, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    const body = await res.json() as { error: string, message: string }
    expect(body.error).toBe('ProposerUnreachableError')
    expect(body.message).toMatch(new RegExp(`^cannot reach ${gone}, proposer of ${gone}: no stream to ${gone}: .*\\(nothing was sent: the write is not committed\\)$`))
  })

  it('a proposer never met says no address of it is known (it said libp2p\'s "The dial request has no valid addresses")', async () => {
    const a = await cluster.create()
    await a.start()
    const api = await cluster.http(a)
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const res = await fetch(`${api.url}/chains/${stranger}/kv/k`, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      error: 'ProposerUnreachableError',
      message: `cannot reach ${stranger}, proposer of ${stranger}: no stream to ${stranger}: no address of ${stranger} is known: it is not connected, and no peer told this node where it is (nothing was sent: the write is not committed)`
    })
  })
})
