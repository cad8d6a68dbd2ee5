/** GET /status chains, GET /chains/:id/blocks and GET /chains/:id/kv/:key on a real node and HTTP server. */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { Agent, request } from 'node:http'
import { describe, it, expect, afterEach } from 'vitest'
import { emptyTip } from '../../src/chain/index.ts'
import { CLOSING_BODY_GRACE_MS, startHttpApi } from '../../src/http/server.ts'
import type { HttpApi } from '../../src/http/server.ts'
import { TestCluster, vehiclePair } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { buildChain, enc } from '../unit/storage/helpers.ts'

const CHAIN = 'vehicle-9'

describe('http - chain reads', () => {
  const cluster = new TestCluster()
  let api: HttpApi | undefined
  afterEach(async () => {
    await api?.close()
    api = undefined
    await cluster.teardown()
  })

  it('lists chains in /status and reads blocks and keys from the local store', async () => {
    const node = await cluster.create()
    await node.start()
    const blocks = buildChain(emptyTip(CHAIN), 150, h => ({
      transactions: h === 3
        ? [{ key: 'bin', value: Uint8Array.of(0xff, 0x00, 0xfe) }, { op: 'DELETE', key: 'gps/1' }]
        : [{ key: `gps/${h}`, value: enc.encode(`fix ${h}`) }, { key: 'gps/latest', value: enc.encode(String(h)) }]
    }))
    await node.chains.appendMany(blocks)
    api = await startHttpApi(node, { port: 0 })
    const get = async (path: string): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${api?.url ?? ''}${path}`)
      return { status: res.status, body: await res.json() }
    }

    const status = await get('/status')
    const info = await node.chains.info(CHAIN)
    expect(status.body.chains).toEqual([expect.objectContaining({
      id: CHAIN, height: 150, tipHash: Buffer.from(blocks[149].hash).toString('hex'), bytes: info?.bytes
    })])

    const page = await get(`/chains/${CHAIN}/blocks?from=2&to=4`)
    expect(page.status).toBe(200)
    expect(page.body).toMatchObject({ chainId: CHAIN, height: 150, from: 2, to: 4, next: null })
    expect(page.body.blocks.map((b: { height: number }) => b.height)).toEqual([2, 3, 4])
    expect(page.body.blocks[0]).toMatchObject({
      hash: Buffer.from(blocks[1].hash).toString('hex'),
      prevHash: Buffer.from(blocks[0].hash).toString('hex'),
      txCount: 2,
      pruned: false,
      transactions: [{ op: 'PUT', key: 'gps/2', value: 'fix 2', encoding: 'utf8' }, { op: 'PUT', key: 'gps/latest', value: '2', encoding: 'utf8' }]
    })
    expect(page.body.blocks[1].transactions).toEqual([
      { op: 'PUT', key: 'bin', value: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), encoding: 'base64' },
      { op: 'DELETE', key: 'gps/1' }
    ])
    // a default range is paged
    const first = await get(`/chains/${CHAIN}/blocks?transactions=false`)
    expect(first.body.blocks).toHaveLength(100)
    expect(first.body.next).toBe(101)
    expect(first.body.blocks[0].transactions).toBeUndefined()

    expect((await get(`/chains/${CHAIN}/kv/gps%2Flatest`)).body).toEqual({ key: 'gps/latest', value: '150', encoding: 'utf8', height: 150 })
    expect((await get(`/chains/${CHAIN}/kv/bin`)).body).toEqual({ key: 'bin', value: '/wD+', encoding: 'base64', height: 3 })

    const deleted = await get(`/chains/${CHAIN}/kv/gps%2F1`)
    expect(deleted.status).toBe(404)
    expect(deleted.body.error).toBe('KeyNotFoundError')
    expect((await get('/chains/nope/kv/x')).status).toBe(404)
    expect((await get('/chains/nope/blocks')).body.error).toBe('ChainNotFoundError')
    for (const q of ['from=0', 'from=abc', 'from=5&to=4', 'to=-1', 'from=', 'from=&to=']) {
      const bad = await get(`/chains/${CHAIN}/blocks?${q}`)
      expect(bad.status, q).toBe(400)
      expect(bad.body.error).toBe('InvalidRequestError')
    }
    // a height past the 15 digits taken is told the range, not "integer ≥ 1" of an integer that is one
    const long = await get(`/chains/${CHAIN}/blocks?from=1000000000000000`)
    expect(long.status).toBe(400)
    expect(long.body.message).toBe('from: a height (an integer from 1 to 999999999999999), got "1000000000000000"')

    // paging past the tip is an empty last page, with or without `to`
    for (const q of ['from=151', 'from=1000', 'from=151&to=200']) {
      const past = await get(`/chains/${CHAIN}/blocks?${q}`)
      expect(past.status, q).toBe(200)
      expect(past.body, q).toMatchObject({ height: 150, from: Number(new URLSearchParams(q).get('from')), blocks: [], next: null })
    }
    expect((await get(`/chains/${CHAIN}/blocks?from=150`)).body).toMatchObject({ from: 150, to: 150, next: null, blocks: [{ height: 150 }] })

    await node.chains.prune(CHAIN, [150])
    const pruned = await get(`/chains/${CHAIN}/kv/gps%2Flatest`)
    expect(pruned.status).toBe(410)
    expect(pruned.body.error).toBe('PayloadPrunedError')
    expect((await get(`/chains/${CHAIN}/blocks?from=150`)).body.blocks[0]).toMatchObject({ height: 150, pruned: true })
  })

  it('scans keys: under a prefix, page by page after the last key, values or keys only; pruned values and bad queries said so', async () => {
    const node = await cluster.create()
    await node.start()
    // 250 fixes, gps/0001 deleted, one binary value and a key outside gps/
    await node.chains.appendMany(buildChain(emptyTip(CHAIN), 250, h => ({
      transactions: [
        { key: `gps/${String(h).padStart(4, '0')}`, value: enc.encode(`fix ${h}`) },
        ...(h === 2 ? [{ op: 'DELETE' as const, key: 'gps/0001' }, { key: 'bin', value: Uint8Array.of(0xff, 0x00) }] : [])
      ]
    })))
    api = await startHttpApi(node, { port: 0 })
    const get = async (path: string): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${api?.url ?? ''}${path}`)
      return { status: res.status, body: await res.json() }
    }

    const first = await get(`/chains/${CHAIN}/kv?prefix=gps%2F`)
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ chainId: CHAIN, height: 250, prefix: 'gps/', next: 'gps/0101' })
    expect(first.body.entries).toHaveLength(100)
    expect(first.body.entries[0]).toEqual({ key: 'gps/0002', value: 'fix 2', encoding: 'utf8', height: 2 })
    // page after page until next is null: every live key once, in order
    const keys: string[] = first.body.entries.map((e: { key: string }) => e.key)
    for (let next = first.body.next; next != null;) {
      const page = await get(`/chains/${CHAIN}/kv?prefix=gps%2F&limit=70&values=false&after=${encodeURIComponent(next as string)}`)
      expect(page.body.entries.length).toBeLessThanOrEqual(70)
      expect(page.body.entries.every((e: object) => !('value' in e))).toBe(true)
      keys.push(...page.body.entries.map((e: { key: string }) => e.key))
      next = page.body.next
    }
    expect(keys).toEqual(Array.from({ length: 249 }, (_, i) => `gps/${String(i + 2).padStart(4, '0')}`))
    // the whole chain's state, a binary value in base64; a limit that ends exactly at the last key has no next
    const all = await get(`/chains/${CHAIN}/kv?limit=1000`)
    expect(all.body.entries).toHaveLength(250)
    expect(all.body.entries[0]).toEqual({ key: 'bin', value: '/wA=', encoding: 'base64', height: 2 })
    expect(all.body.next).toBeNull()
    expect((await get(`/chains/${CHAIN}/kv?prefix=bin&limit=1`)).body).toMatchObject({ entries: [{ key: 'bin' }], next: null })
    expect((await get(`/chains/${CHAIN}/kv?prefix=nothing`)).body).toMatchObject({ entries: [], next: null })

    // a key whose block was pruned is listed without its value
    await node.chains.prune(CHAIN, [250])
    expect((await get(`/chains/${CHAIN}/kv?prefix=gps%2F0250`)).body.entries).toEqual([{ key: 'gps/0250', height: 250, pruned: true }])

    expect((await get('/chains/nope/kv')).body.error).toBe('ChainNotFoundError')
    for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'limit=', 'values=yes', 'prefix=a&prefix=b', `after=${'x'.repeat(1025)}`, 'prefix=%ED%A0%80', 'consistency=quorum']) {
      const bad = await get(`/chains/${CHAIN}/kv?${q}`)
      expect(bad.status, q).toBe(400)
      expect(bad.body.error, q).toBe('InvalidRequestError')
    }
  })

  // regression: a page of 100 blocks of 4 MiB was one JSON string over V8's
  // limit, a 500 (RangeError: Invalid string length) after ~600 MiB of memory
  it('ends a page of blocks at 16 MiB of payload (one block at least); next says where it goes on', async () => {
    const node = await cluster.create()
    await node.start()
    const value = new Uint8Array(4 * 1024 * 1024).fill(0xff)
    await node.chains.appendMany(buildChain(emptyTip(CHAIN), 5, h => ({ transactions: [{ key: `photo/${h}`, value }] })))
    api = await startHttpApi(node, { port: 0 })
    const page = async (query: string): Promise<{ from: number, to: number, next: number | null, blocks: Array<{ height: number }> }> => {
      const res = await fetch(`${api?.url ?? ''}/chains/${CHAIN}/blocks${query}`)
      expect(res.status).toBe(200)
      return await res.json() as { from: number, to: number, next: number | null, blocks: Array<{ height: number }> }
    }
    // each payload is a little over 4 MiB: three fit in 16 MiB, a fourth would not
    const first = await page('')
    expect(first).toMatchObject({ from: 1, to: 3, next: 4 })
    expect(first.blocks.map(b => b.height)).toEqual([1, 2, 3])
    const second = await page(`?from=${String(first.next)}`)
    expect(second).toMatchObject({ from: 4, to: 5, next: null })
    expect(second.blocks.map(b => b.height)).toEqual([4, 5])
    // a range that ends inside the first page ends there; headers only carry no payload: one page
    expect(await page('?to=2')).toMatchObject({ from: 1, to: 2, next: null })
    expect((await page('?transactions=false')).blocks.map(b => b.height)).toEqual([1, 2, 3, 4, 5])
  })

  it('cuts pages short while other reads hold the payload budget, and answers reads of the stopped node\'s store with 503', async () => {
    const node = await cluster.create()
    await node.start()
    const value = new Uint8Array(4 * 1024 * 1024).fill(0xff)
    await node.chains.appendMany(buildChain(emptyTip(CHAIN), 4, h => ({ transactions: [{ key: `photo/${h}`, value }] })))
    // room for two blocks' payload at a time
    api = await startHttpApi(node, { port: 0, readPayloadBudget: 10 * 1024 * 1024 })
    const page = async (query: string): Promise<{ from: number, to: number, next: number | null, blocks: Array<{ height: number }> }> => {
      const res = await fetch(`${api?.url ?? ''}/chains/${CHAIN}/blocks${query}`)
      expect(res.status).toBe(200)
      return await res.json() as { from: number, to: number, next: number | null, blocks: Array<{ height: number }> }
    }
    expect(await page('')).toMatchObject({ from: 1, to: 2, next: 3 })
    // pages at once: all answered, at least one block each, contiguous from where each began
    const pages = await Promise.all([1, 2, 3, 4].map(async from => await page(`?from=${from}`)))
    pages.forEach((p, i) => {
      expect(p.blocks.length).toBeGreaterThan(0)
      expect(p.blocks.map(b => b.height)).toEqual(Array.from({ length: p.blocks.length }, (_, j) => i + 1 + j))
    })
    expect((await page('?transactions=false')).blocks).toHaveLength(4)

    await node.stop()
    for (const path of [`/chains/${CHAIN}/blocks`, `/chains/${CHAIN}/kv/photo%2F1`, `/chains/${node.peerId.toString()}/pins`]) {
      const res = await fetch(`${api.url}${path}`)
      expect(res.status, path).toBe(503)
      expect(await res.json(), path).toMatchObject({ error: 'NodeStoppedError' })
    }
    // no event stream that would stay open and silent
    const events = await fetch(`${api.url}/events`)
    expect(events.status).toBe(503)
    expect(await events.json()).toMatchObject({ error: 'NotStartedError' })
  })

  it('closing lets a request in flight answer, then closes its keep-alive connection at once', async () => {
    const node = await cluster.create({ commitTimeout: 1_000 })
    await node.start()
    const http = await startHttpApi(node, { port: 0 })
    const arrived = new Promise<void>((resolve) => { http.server.server.once('request', () => { resolve() }) })
    // a write to the shared chain of a lone node runs until its commit timeout
    const agent = new Agent({ keepAlive: true })
    let socketClosed = false
    const answer = new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: new URL(http.url).port, method: 'PUT', path: '/chains/shared/kv/k', agent }, (res) => {
        res.resume()
        res.on('end', () => { resolve(res.statusCode ?? 0) })
      })
      req.on('socket', (socket) => { socket.on('close', () => { socketClosed = true }) })
      req.on('error', reject)
      req.end('v')
    })
    await arrived
    const closed = http.close()
    expect(await answer).toBe(503)
    // Node closes only the connections idle when close() starts: this one waited
    // for keepAliveTimeout (72 s) before close() resolved
    await closed
    await waitFor(() => socketClosed, { message: 'the server closed the keep-alive connection' })
    agent.destroy()
  })

  it.each([
    ['unkeyed', '', { error: 'UnavailableError', message: 'the node is stopping: ask again once it is back (reads, and writes to the shared chain, may also go through another node)' }],
    // a keyed write never hears "nothing written" unflagged: its key may retry an attempt that commits (a soak)
    ['keyed', 'Idempotency-Key: fix-1\r\n', { error: 'UnavailableError', message: expect.stringContaining('an earlier attempt under the same idempotency key may still commit') as unknown, mayHaveCommitted: true }]
  ])('a request that reaches it while it closes (pipelined behind one in flight) is refused in the documented shape, and not run (%s)', async (_label, header, body) => {
    const node = await cluster.create({ commitTimeout: 1_000 })
    await node.start()
    const http = await startHttpApi(node, { port: 0 })
    const arrived = new Promise<void>((resolve) => { http.server.server.once('request', () => { resolve() }) })
    // a write that runs until its commit timeout, and behind it on the same connection a write that must not run
    const socket = connect(Number(new URL(http.url).port), '127.0.0.1')
    let raw = ''
    socket.on('data', (d: Buffer) => { raw += d.toString() })
    const ended = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
    const put = (key: string): string => `PUT /chains/shared/kv/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nv`
    socket.write(put('first'))
    await arrived
    const closed = http.close()
    socket.write(`PUT /chains/${node.peerId.toString()}/kv/second HTTP/1.1\r\nHost: 127.0.0.1\r\n${header}Content-Length: 1\r\n\r\nv`)
    await closed
    await ended
    const answers = raw.split(/(?=HTTP\/1\.1 )/)
    expect(answers.map(a => a.slice(0, 12))).toEqual(['HTTP/1.1 503', 'HTTP/1.1 503'])
    expect(answers[1]).toMatch(/connection: close/i)
    expect(JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4))).toEqual(body)
    // the second write was never proposed
    expect(await node.chains.info(node.peerId.toString())).toBeUndefined()
  })

  it('closes a connection that falls silent, mid-body or before any request, and writes nothing', async () => {
    const node = await cluster.create()
    api = await startHttpApi(node, { port: 0, idleTimeout: 1_000 })
    const port = Number(new URL(api.url).port)
    const closed = async (socket: Socket): Promise<void> => { await new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) }) }
    // a slow body: the headers, then one byte of a thousand (it held the connection for ever)
    const slow = connect(port, '127.0.0.1', () => { slow.write(`PUT /chains/${node.peerId.toString()}/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx`) })
    // and one that never says anything
    const silent = connect(port, '127.0.0.1')
    await Promise.all([closed(slow), closed(silent)])
    expect(await node.chains.info(node.peerId.toString())).toBeUndefined()
  })

  it('answers 408 in the documented shape to a request whose body takes too long to arrive, and writes nothing', async () => {
    const node = await cluster.create()
    await node.start()
    api = await startHttpApi(node, { port: 0, requestTimeout: 500 })
    const port = Number(new URL(api.url).port)
    // a body that keeps trickling in (never idle) but never ends
    const slow = connect(port, '127.0.0.1', () => { slow.write(`PUT /chains/${node.peerId.toString()}/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx`) })
    const trickle = setInterval(() => { if (slow.writable) slow.write('x') }, 100)
    let answer = ''
    slow.on('data', (chunk: Buffer) => { answer += chunk.toString() })
    await new Promise<void>((resolve) => { slow.once('close', () => { resolve() }) })
    clearInterval(trickle)
    expect(answer.slice(0, 12)).toBe('HTTP/1.1 408')
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'RequestTimeoutError', message: 'the request took too long to arrive' })
    expect(await node.chains.info(node.peerId.toString())).toBeUndefined()
  })

  it('closing cuts off a request whose body stalls or trickles, once its grace is over, and writes nothing', async () => {
    const node = await cluster.create()
    await node.start()
    const http = await startHttpApi(node, { port: 0 })
    const port = Number(new URL(http.url).port)
    const put = `PUT /chains/${node.peerId.toString()}/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx`
    let arrived = 0
    http.server.server.on('request', () => { arrived++ })
    const stalled = connect(port, '127.0.0.1', () => { stalled.write(put) })
    const trickling = connect(port, '127.0.0.1', () => { trickling.write(put) })
    for (const s of [stalled, trickling]) s.on('error', () => {})
    // a byte every 200 ms: the connection is never idle, so only the grace can end it
    const trickle = setInterval(() => { if (trickling.writable) trickling.write('x') }, 200)
    const closedSocket = async (s: Socket): Promise<void> => { await new Promise<void>((resolve) => { s.once('close', () => { resolve() }) }) }
    try {
      // both requests are in (their headers arrived) before the close
      await waitFor(() => arrived === 2, { message: 'both requests arrived' })
      const started = Date.now()
      // it waited for the 5-minute idle timeout (stalled) or for good (trickling)
      await Promise.race([http.close(), new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('close waited for the arriving bodies')) }, CLOSING_BODY_GRACE_MS + 10_000))])
      expect(Date.now() - started).toBeGreaterThanOrEqual(CLOSING_BODY_GRACE_MS - 100)
      await Promise.all([closedSocket(stalled), closedSocket(trickling)])
    } finally {
      clearInterval(trickle)
    }
    expect(await node.chains.info(node.peerId.toString())).toBeUndefined()
  })

  it('/health says a node that is not started is unhealthy, by its status code too', async () => {
    const node = await cluster.create()
    const http = await startHttpApi(node, { port: 0 })
    try {
      const answer = async (): Promise<[number, unknown]> => { const r = await fetch(`${http.url}/health`); return [r.status, await r.json()] }
      const peerId = node.peerId.toString()
      expect(await answer()).toEqual([503, { ok: false, peerId, status: 'stopped' }])
      await node.start()
      expect(await answer()).toEqual([200, { ok: true, peerId }])
      await node.stop()
      // it answered 200 { ok: false } to an embedder whose API outlived its node
      expect(await answer()).toEqual([503, { ok: false, peerId, status: 'stopped' }])
    } finally {
      await http.close()
    }
  })

  it('closing does not wait for a connection that never sent a request', async () => {
    const node = await cluster.create()
    const http = await startHttpApi(node, { port: 0 })
    const socket = connect(Number(new URL(http.url).port), '127.0.0.1')
    await new Promise<void>((resolve) => { socket.once('connect', resolve) })
    const closedSocket = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
    // it held the close until its client went away (minutes)
    await Promise.race([http.close(), new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('close waited for the silent connection')) }, 10_000))])
    await closedSocket
  })

  it('answers every error in the documented { error, message } shape, also those the router and parser raise', async () => {
    const node = await cluster.create()
    await node.start()
    api = await startHttpApi(node, { port: 0 })
    const self = node.peerId.toString()
    const cases: Array<[string, number, string]> = [
      [`/chains/${self}/kv/%FF%FE`, 400, 'InvalidRequestError'],
      [`/chains/${self}/kv/%E0%A4%A`, 400, 'InvalidRequestError'],
      [`/chains/${self}/kv/${'k'.repeat(5_000)}`, 400, 'InvalidRequestError'],
      [`/chains/${self}/read/${'k'.repeat(5_000)}`, 400, 'InvalidRequestError'],
      // an empty key is no key, whatever the consistency
      [`/chains/${self}/kv/`, 400, 'InvalidTransactionError'],
      ['/no/such/route', 404, 'NotFoundError']
    ]
    for (const [path, status, error] of cases) {
      const res = await fetch(`${api.url}${path}`)
      expect(res.status, path.slice(0, 60)).toBe(status)
      expect(res.headers.get('content-type'), path.slice(0, 60)).toMatch(/^application\/json/)
      const body = await res.json() as Record<string, unknown>
      expect(Object.keys(body).sort(), path.slice(0, 60)).toEqual(['error', 'message'])
      expect(body.error, path.slice(0, 60)).toBe(error)
    }

    // a request Node's HTTP parser refuses never reaches a route: same shape, on the raw socket
    const { port } = new URL(api.url)
    const rawAnswer = async (request: string): Promise<string> => await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => { socket.write(request) })
      let text = ''
      socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
      socket.on('close', () => { resolve(text) })
      socket.on('error', reject)
    })
    const raw = await rawAnswer('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'InvalidRequestError', message: 'malformed HTTP request' })
    // nor does a CONNECT (Node closed it unanswered): 405, this is no proxy
    const tunnel = await rawAnswer('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    expect(tunnel).toMatch(/^HTTP\/1\.1 405 [^]*\r\nAllow: \r\n/)
    expect(JSON.parse(tunnel.slice(tunnel.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'MethodNotAllowedError', message: expect.stringContaining('not a proxy') })
  })

  it('refuses what it would otherwise ignore: a query parameter the route does not take, a flag that is not true or false; says how to send a key with a slash and what body type to send', async () => {
    const node = await cluster.create()
    await node.start()
    api = await startHttpApi(node, { port: 0 })
    const self = node.peerId.toString()
    await node.put('gps/1', enc.encode('fix'))
    const ask = async (method: string, path: string, init: RequestInit = {}): Promise<{ status: number, body: Record<string, unknown> }> => {
      const res = await fetch(`${api?.url ?? ''}${path}`, { method, ...init })
      return { status: res.status, body: await res.json() as Record<string, unknown> }
    }
    const refused: Array<[string, string, RegExp]> = [
      // a local page of blocks read with a consistency it does not have
      ['GET', `/chains/${self}/blocks?consistency=quorum`, /unknown query parameter "consistency": this route takes from, to, transactions/],
      ['GET', `/chains/${self}/blocks?transactions=no`, /transactions: true or false, got "no"/],
      ['GET', `/chains/${self}/blocks/1?transactions=0`, /transactions: true or false, got "0"/],
      ['GET', `/chains/${self}/kv/gps%2F1?consistancy=quorum`, /unknown query parameter "consistancy": this route takes consistency/],
      // a write has no consistency
      ['PUT', `/chains/${self}/kv/k?consistency=quorum`, /unknown query parameter "consistency": this route takes waitForReplication/],
      ['DELETE', `/chains/${self}/kv/k?x=1`, /this route takes waitForReplication/],
      ['PUT', `/chains/${self}/kv/k?waitForReplication=1`, /waitForReplication: true or false, got "1"/],
      ['DELETE', `/chains/${self}/kv/k?waitForReplication=true&waitForReplication=false`, /waitForReplication: true or false, got \["true","false"\]/],
      // nor does a pin, or the end of a booth
      ['PUT', `/chains/${self}/pins/heights/1?foo=bar`, /unknown query parameter "foo": this route takes no query parameters/],
      ['DELETE', `/chains/${self}/pins/keys/gps%2F1?x=1`, /this route takes no query parameters/],
      ['GET', `/chains/${self}/pins?all=1`, /this route takes no query parameters/],
      ['POST', '/booth/end?k=3', /unknown query parameter "k": this route takes no query parameters/]
    ]
    for (const [method, path, message] of refused) {
      const init: RequestInit = method === 'PUT' && path.includes('/kv/') ? { body: 'v' } : method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participants: [self], transactions: [{ key: 'b', value: 'v' }] }) } : {}
      const { status, body } = await ask(method, path, init)
      expect(status, path).toBe(400)
      expect(body, path).toMatchObject({ error: 'InvalidRequestError', message: expect.stringMatching(message) })
    }
    // nothing was written by the refused PUT, pinned, or appended by the refused booth
    expect(await node.chains.get(self, 'k')).toBeUndefined()
    expect(node.chains.pins(self)).toEqual([])
    expect((await node.chains.tip(self)).height).toBe(1)
    expect((await ask('GET', `/chains/${self}/blocks?transactions=false`)).status).toBe(200)

    const slashed = await ask('GET', `/chains/${self}/kv/gps/1`)
    expect(slashed).toMatchObject({ status: 404, body: { error: 'NotFoundError', message: expect.stringContaining(`/chains/${self}/kv/gps%2F1`) } })
    expect((await ask('GET', `/chains/${self}/kv/gps%2F1`)).status).toBe(200)

    // a path served with other methods: 405 naming them (Allow), not "no route", and nothing done
    for (const [method, path, allow] of [
      ['POST', '/status', 'GET, HEAD'],
      ['PATCH', `/chains/${self}/kv/gps%2F1?x=1`, 'DELETE, GET, HEAD, PUT'],
      ['GET', '/booth/end', 'POST'],
      ['HEAD', '/events', 'GET'],
      // a QUERY without a Content-Type (no body): fastify refused it before any route, 400 named by its own code
      // FST_ERR_ROUTE_MISSING_CONTENT_TYPE, while one with a Content-Type got this 405 (a probe, 2026-12-03)
      ['QUERY', '/status', 'GET, HEAD'],
      ['QUERY', `/chains/${self}/kv/gps%2F1`, 'DELETE, GET, HEAD, PUT']
    ]) {
      const res = await fetch(`${api?.url ?? ''}${path}`, { method, ...(method === 'PATCH' ? { body: 'x' } : {}) })
      expect(res.status, `${method} ${path}`).toBe(405)
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow)
      if (method !== 'HEAD') expect(await res.json()).toMatchObject({ error: 'MethodNotAllowedError', message: expect.stringContaining(`takes ${allow}, not ${method}`) })
    }
    expect((await node.chains.get(self, 'gps/1'))?.value).toEqual(enc.encode('fix'))
    expect((await ask('GET', '/no-such-thing')).status).toBe(404)
    expect(await ask('QUERY', '/no-such-thing')).toMatchObject({ status: 404, body: { error: 'NotFoundError' } })

    const badType = await ask('POST', '/booth/end', { headers: { 'content-type': 'foo' }, body: '{}' })
    expect(badType).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaTypeError', message: expect.stringContaining('send the body as application/json') } })
    // a JSON body is read as UTF-8: another charset was parsed as UTF-8 all the same
    const utf16 = await ask('POST', '/booth/end', { headers: { 'content-type': 'application/json; charset=utf-16' }, body: '{}' })
    expect(utf16).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaTypeError', message: 'a JSON body is read as UTF-8: charset utf-16 is not taken (send it as UTF-8, or name no charset)' } })
    const utf8 = await ask('POST', '/booth/end', { headers: { 'content-type': 'application/json; charset="UTF-8"' }, body: '{}' })
    // parsed, then refused by the route's schema (no participants): not a 415
    expect(utf8).toMatchObject({ status: 400, body: { error: 'InvalidRequestError' } })
    // a value takes any type: not told to send JSON
    const badValueType = await ask('PUT', `/chains/${self}/kv/typed`, { headers: { 'content-type': 'foo' }, body: 'x' })
    expect(badValueType).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaTypeError', message: expect.stringContaining('a Content-Type is type/subtype (any') } })
    // nor a DELETE of a key, whose body is ignored: not told to send JSON (it was), and nothing deleted
    const badDeleteType = await ask('DELETE', `/chains/${self}/kv/gps%2F1`, { headers: { 'content-type': 'foo' }, body: 'x' })
    expect(badDeleteType).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaTypeError', message: expect.stringContaining('a Content-Type is type/subtype (any: a DELETE\'s body is ignored)') } })
    expect(badDeleteType.body.message).not.toContain('application/json')
    expect((await node.chains.get(self, 'gps/1'))?.value).toEqual(enc.encode('fix'))
    // a body of any real type is ignored: the key is deleted
    expect((await ask('DELETE', `/chains/${self}/kv/gps%2F1`, { headers: { 'content-type': 'image/png' }, body: 'x' })).status).toBe(200)
    expect(await node.chains.get(self, 'gps/1')).toBeUndefined()
  })

  it('names a chain by its peer id\'s one string form: the same id as a CID is refused, saying which form to give', async () => {
    const node = await cluster.create()
    await node.start()
    api = await startHttpApi(node, { port: 0 })
    const self = node.peerId.toString()
    const cid = node.peerId.toCID().toString()
    for (const [method, path] of [['PUT', `/chains/${cid}/kv/k`], ['GET', `/chains/${cid}/kv/k?consistency=leader`], ['GET', `/chains/${cid}/read/k`]]) {
      const res = await fetch(`${api.url}${path}`, { method, ...(method === 'PUT' ? { body: 'v' } : {}) })
      expect(res.status, path).toBe(400)
      expect(await res.json(), path).toEqual({ error: 'InvalidRequestError', message: `chain id: give the peer id as ${self}, not as ${cid}` })
    }
    // and through the library
    await expect(node.put('k', new Uint8Array([1]), { chainId: cid })).rejects.toMatchObject({ name: 'InvalidTransactionError', message: `give the peer id as ${self}, not as ${cid}` })
    await expect(node.get(cid, 'k', { consistency: 'quorum' })).rejects.toMatchObject({ name: 'InvalidReadError' })
    // local reads too: they said 404 "chain … is not held here" of this node's own chain (a probe, 2026-12-03)
    for (const path of [`/chains/${cid}/kv/k`, `/chains/${cid}/blocks`, `/chains/${cid}/blocks/1`, `/chains/${cid}/kv`]) {
      const res = await fetch(`${api.url}${path}`)
      expect(res.status, path).toBe(400)
      expect(await res.json(), path).toEqual({ error: 'InvalidReadError', message: `give the peer id as ${self}, not as ${cid}` })
    }
    await expect(node.get(cid, 'k')).rejects.toMatchObject({ name: 'InvalidReadError', message: `give the peer id as ${self}, not as ${cid}` })
    expect(await node.chains.info(self)).toBeUndefined()
  })

  it("a vehicle's own chain with no block yet is held, empty: a key or a block of it is not found, not the chain (a probe)", async () => {
    const node = await cluster.create()
    await node.start()
    const http = await cluster.http(node)
    const self = node.peerId.toString()
    // its leader read and its redirect read too: this node is the chain's proposer (they were 503, "unreachable": a review)
    for (const [path, error] of [[`/chains/${self}/kv/nokey`, 'KeyNotFoundError'], [`/chains/${self}/blocks/1`, 'BlockNotFoundError'],
      [`/chains/${self}/kv/nokey?consistency=leader`, 'KeyNotFoundError'], [`/chains/${self}/read/nokey`, 'KeyNotFoundError']]) {
      const res = await fetch(`${http.url}${path}`)
      expect(res.status, path).toBe(404)
      expect(await res.json(), path).toMatchObject({ error })
    }
    // a page of its keys or blocks is an empty one, locally as through the read protocol (/kv and /blocks said 404 "not held here": a review)
    for (const path of [`/chains/${self}/kv`, `/chains/${self}/read`]) {
      const res = await fetch(`${http.url}${path}`)
      expect(res.status, path).toBe(200)
      expect(await res.json(), path).toMatchObject({ chainId: self, entries: [], next: null })
    }
    const blocks = await fetch(`${http.url}/chains/${self}/blocks`)
    expect(blocks.status).toBe(200)
    expect(await blocks.json()).toMatchObject({ chainId: self, height: 0, tipHash: '00'.repeat(32), blocks: [], next: null })
    // another vehicle's chain held nowhere here is still not held
    const other = (await cluster.create()).peerId.toString()
    for (const path of [`/chains/${other}/kv/nokey`, `/chains/${other}/kv`, `/chains/${other}/blocks`]) {
      expect(await (await fetch(`${http.url}${path}`)).json(), path).toMatchObject({ error: 'ChainNotFoundError' })
    }
  })

  it('the shared chain a vehicle runs is held from its forming on: a page of it with no block yet is empty, not missing', async () => {
    const { a } = await vehiclePair(cluster)
    const http = await cluster.http(a)
    // not run yet: not held
    const before = await fetch(`${http.url}/chains/shared/kv`)
    if (a.consensus.driver.shared() == null) expect(await before.json()).toMatchObject({ error: 'ChainNotFoundError' })
    await waitFor(() => a.consensus.driver.shared() != null, { timeout: 30_000, message: 'the pair formed a shared chain' })
    const kv = await fetch(`${http.url}/chains/shared/kv`)
    expect(kv.status).toBe(200)
    expect(await kv.json()).toMatchObject({ chainId: 'shared', height: 0, entries: [], next: null })
    const blocks = await fetch(`${http.url}/chains/shared/blocks`)
    expect(blocks.status).toBe(200)
    expect(await blocks.json()).toMatchObject({ chainId: 'shared', height: 0, blocks: [], next: null })
  })
})
