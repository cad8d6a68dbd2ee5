/**
 * Idempotency-Key over HTTP: a client that sends a write again (its answer
 * was lost) with the same key and body commits it once, whichever node it
 * asks, on a vehicle's chain and on the shared chain. Real nodes over TCP.
 */
import { request } from 'node:http'
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { blocksWriting } from '../utils/chains.ts'

/** A PUT through node:http, which sends a header given as an array as that many header lines. */
async function putRaw (url: string, headers: Record<string, string[]>, body: string): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('http - Idempotency-Key', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('commits a keyed write once through any node; another body under the key is a write of its own; a bad key is refused', async () => {
    const first = await cluster.create({ kBackups: 0, priority: 9 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all([0, 1].map(async () => await cluster.create({ kBackups: 0, bootstrap })))
    await Promise.all(rest.map(async r => { await r.start() }))
    const nodes = [first, ...rest]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: '3 nodes connected' })
    await waitFor(() => nodes.every(n => n.consensus.driver.shared()?.leader() === first.peerId.toString()), { timeout: 30_000, message: 'a leads the shared chain' })
    const urls: string[] = []
    for (const node of nodes) {
      const api = await cluster.http(node)
      urls.push(api.url)
    }
    const A = first.peerId.toString()
    const put = async (url: string, chain: string, key: string, body: string, idempotencyKey?: string): Promise<Response> =>
      await fetch(`${url}/chains/${chain}/kv/${key}`, { method: 'PUT', body, headers: idempotencyKey == null ? {} : { 'Idempotency-Key': idempotencyKey } })

    for (const chain of [A, 'shared']) {
      // the vehicle itself (or the leader), then two other nodes forwarding: one commit
      const answers: Array<{ height: number, hash: string }> = []
      for (const url of urls) {
        const res = await put(url, chain, 'order', 'paid', 'order-17')
        expect(res.status, chain).toBe(200)
        answers.push(await res.json() as { height: number, hash: string })
      }
      expect(new Set(answers.map(a => `${a.height}/${a.hash}`)).size, chain).toBe(1)
      // concurrent attempts too
      const together = await Promise.all(urls.map(async url => await (await put(url, chain, 'order', 'paid', 'order-17')).json() as { height: number }))
      expect(together.every(a => a.height === answers[0].height)).toBe(true)
      expect(await blocksWriting(first.chains, chain, 'order'), chain).toBe(1)
      // the same key with another body is another write; no key: each request is one
      expect((await put(urls[1], chain, 'order', 'refunded', 'order-17')).status).toBe(200)
      expect((await put(urls[1], chain, 'order', 'paid')).status).toBe(200)
      expect((await put(urls[1], chain, 'order', 'paid')).status).toBe(200)
      expect(await blocksWriting(first.chains, chain, 'order'), chain).toBe(4)
    }

    const tip = await first.chains.tip(A)
    for (const bad of ['x'.repeat(129), 'caf\u00e9']) {
      const res = await put(urls[1], A, 'bad', 'x', bad)
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'InvalidIdempotencyKeyError' })
    }
    // two header lines (fetch would join them): Node's parser joins them into "k1, k2", a key neither retry sends
    const two = await putRaw(`${urls[1]}/chains/${A}/kv/bad`, { 'Idempotency-Key': ['k1', 'k2'] }, 'x')
    expect(two.status).toBe(400)
    expect(JSON.parse(two.body)).toMatchObject({ error: 'InvalidIdempotencyKeyError', message: 'one Idempotency-Key per write, got 2' })
    expect((await first.chains.tip(A)).height).toBe(tip.height)
  })

  it('a keyed write to a node not started, or stopped, carries mayHaveCommitted, as every other 503 of a keyed write; an unkeyed one does not', async () => {
    const node = await cluster.create({ kBackups: 0 })
    const value = new TextEncoder().encode('v')
    // an earlier attempt under the key may have gone through another node, or before a restart
    await expect(node.put('k', value, { idempotencyKey: 'order-1' })).rejects.toMatchObject({ name: 'NotStartedError', mayHaveCommitted: true })
    expect(await node.put('k', value).catch((err: Error & { mayHaveCommitted?: boolean }) => err)).toMatchObject({ name: 'NotStartedError', mayHaveCommitted: undefined })
    await node.start()
    const api = await cluster.http(node)
    const A = node.peerId.toString()
    const put = async (headers: Record<string, string>): Promise<Response> => await fetch(`${api.url}/chains/${A}/kv/k`, { method: 'PUT', body: 'v', headers })
    expect((await put({ 'Idempotency-Key': 'order-1' })).status).toBe(200)

    // an embedder's API outlives the node: the node refuses the write itself
    await cluster.stopNode(node)
    const keyed = await put({ 'Idempotency-Key': 'order-1' })
    expect(keyed.status).toBe(503)
    expect(await keyed.json()).toMatchObject({ error: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringContaining('may still commit') })
    const unkeyed = await put({})
    expect(unkeyed.status).toBe(503)
    expect(await unkeyed.json()).not.toHaveProperty('mayHaveCommitted')
    // consensus stopped under a node still taking writes says the same
    await expect(node.consensus.append([{ key: 'k', value }], { idempotencyKey: 'order-1' })).rejects.toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: true })
    await expect(node.consensus.append([{ key: 'k', value }])).rejects.toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: false })
  })
})
