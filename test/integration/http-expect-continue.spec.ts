/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): a client that sends it waits
 * for `100 Continue` before it sends the body. Node answered 100 as soon as
 * the head arrived, before the API had decided, so a request it would refuse
 * (an unknown route, a body over the limit, a Host not allowed, a bad key)
 * was first invited to upload its whole body: curl sends the header for
 * bodies over 1 MiB, and a 64 MiB PUT was uploaded whole before its 413.
 * Here a raw client sends the head alone and looks at what comes back before
 * any body is sent.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { parseAnswer } from '../utils/raw-http.ts'
import { API_HEADER } from '../../src/http/api-header.ts'
import { MAX_BODY_BYTES } from '../../src/http/server.ts'

/** A connection that sends a request's head first and its body only when told. */
class Exchange {
  private text = ''
  private closed = false
  private readonly socket: Socket
  readonly ready: Promise<void>

  constructor (url: string, head: string) {
    const { port, hostname } = new URL(url)
    this.socket = connect(Number(port), hostname)
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => { this.socket.write(head); resolve() })
      this.socket.once('error', reject)
    })
    this.socket.on('data', (chunk: Buffer) => { this.text += chunk.toString('latin1') })
    this.socket.on('close', () => { this.closed = true })
  }

  /** What the server wrote before anything past the head was sent: up to the end of its first answer's head. */
  async firstHead (): Promise<string> {
    await this.ready
    await waitFor(() => this.text.includes('\r\n\r\n') || this.closed, { message: 'an answer to the head' })
    return this.text.slice(0, this.text.indexOf('\r\n\r\n') + 4)
  }

  send (body: string | Buffer): void { this.socket.write(body) }

  /** Everything the server wrote, once it closed the connection. */
  async all (): Promise<string> {
    await waitFor(() => this.closed, { message: 'the server to close the connection' })
    return this.text
  }

  destroy (): void { this.socket.destroy() }
}

describe('http - Expect: 100-continue', () => {
  const cluster = new TestCluster()
  const exchanges: Exchange[] = []
  afterEach(async () => {
    for (const e of exchanges.splice(0)) e.destroy()
    await cluster.teardown()
  })

  /** Sends `head`, then answers what came back before any body: the final answer (the connection closed) or the 100. */
  const open = (url: string, head: string): Exchange => {
    const e = new Exchange(url, head)
    exchanges.push(e)
    return e
  }

  it('a request the API refuses is answered with its final status and no 100, before the body is sent; nothing is written', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    const head = (method: string, target: string, headers: Record<string, string | number>): string =>
      `${method} ${target} HTTP/1.1\r\n${Object.entries({ host: '127.0.0.1', expect: '100-continue', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`
    const refused: Array<[string, string, number, string]> = [
      ['unknown route', head('PUT', '/nowhere', { 'content-length': 10 }), 404, 'NotFoundError'],
      ['a key with a bare /', head('PUT', `/chains/${self}/kv/a/b`, { 'content-length': 10 }), 404, 'NotFoundError'],
      ['wrong method', head('POST', '/status', { 'content-length': 10, 'content-type': 'application/json' }), 405, 'MethodNotAllowedError'],
      ['over the body limit', head('PUT', `/chains/${self}/kv/big`, { 'content-length': 64 * 1024 * 1024 }), 413, 'PayloadTooLargeError'],
      ['a Host not allowed', head('PUT', `/chains/${self}/kv/k`, { host: 'evil.example', 'content-length': 10 }), 421, 'MisdirectedRequestError'],
      ['a bad chain id', head('PUT', '/chains/not-a-peer-id/kv/k', { 'content-length': 10 }), 400, 'InvalidRequestError'],
      ['a bad key', head('PUT', `/chains/${self}/kv/${'k'.repeat(2000)}`, { 'content-length': 10 }), 400, 'InvalidTransactionError'],
      ['an unknown query parameter', head('PUT', `/chains/${self}/kv/k?consistency=quorum`, { 'content-length': 10 }), 400, 'InvalidRequestError'],
      ['two Idempotency-Key headers', `PUT /chains/${self}/kv/k HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\n\r\n`, 400, 'InvalidIdempotencyKeyError'],
      // a malformed key was refused only once the body was read (a probe, 2026-12-03)
      ['a malformed Idempotency-Key', head('PUT', `/chains/${self}/kv/k`, { 'content-length': 10, 'idempotency-key': 'k'.repeat(200) }), 400, 'InvalidIdempotencyKeyError'],
      ['a malformed Idempotency-Key on an end of booth', head('POST', '/booth/end', { 'content-length': 10, 'content-type': 'application/json', 'idempotency-key': 'k'.repeat(200) }), 400, 'InvalidIdempotencyKeyError'],
      ['a compressed body', head('PUT', `/chains/${self}/kv/k`, { 'content-length': 10, 'content-encoding': 'gzip' }), 415, 'UnsupportedMediaTypeError'],
      ['a body of the wrong type', head('POST', '/booth/end', { 'content-length': 10, 'content-type': 'text/plain' }), 415, 'UnsupportedMediaTypeError'],
      // the charset was checked by the JSON parser, once the body had been read (a probe, 2026-12-03)
      ['a JSON body in another charset', head('POST', '/booth/end', { 'content-length': 10, 'content-type': 'application/json; charset=latin1' }), 415, 'UnsupportedMediaTypeError'],
      ['a query the end of booth does not take', head('POST', '/booth/end?x=1', { 'content-length': 10, 'content-type': 'application/json' }), 400, 'InvalidRequestError'],
      ['a bad pin target', head('PUT', `/chains/${self}/pins/heights/0`, { 'content-length': 2, 'content-type': 'application/json' }), 400, 'InvalidRequestError']
    ]
    const before = (await node.chains.tip(self)).height
    for (const [what, text, status, name] of refused) {
      const exchange = open(api.url, text)
      const first = parseAnswer(await exchange.firstHead())
      // the final answer comes first: no invitation to send a body that will not be read
      expect(first.status, what).toBe(status)
      // and the connection closes after it: the client may send the body anyway, unread
      expect(first.headers, what).toContain('connection: close')
      const answer = parseAnswer(await exchange.all())
      expect(answer.status, what).toBe(status)
      expect(answer.headers, what).toContain(API_HEADER.toLowerCase())
      expect(JSON.parse(answer.body), what).toMatchObject({ error: name })
    }
    expect((await node.chains.tip(self)).height).toBe(before)
  })

  it('a request the API reads the body of gets 100 Continue, then its answer once the body is sent; the write commits', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    const value = 'v'.repeat(2 * 1024 * 1024)
    const put = open(api.url, `PUT /chains/${self}/kv/k HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: ${value.length}\r\nConnection: close\r\n\r\n`)
    expect(await put.firstHead()).toBe('HTTP/1.1 100 Continue\r\n\r\n')
    put.send(value)
    const answer = parseAnswer((await put.all()).slice('HTTP/1.1 100 Continue\r\n\r\n'.length))
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({ chainId: self, height: 1 })
    expect(Buffer.from((await node.chains.get(self, 'k'))?.value ?? []).toString()).toBe(value)

    // the body limit, chunked: 100 (no length to refuse by), then 413 once the body passes the limit
    const chunkedPut = open(api.url, `PUT /chains/${self}/kv/c HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n`)
    expect(await chunkedPut.firstHead()).toBe('HTTP/1.1 100 Continue\r\n\r\n')
    const chunk = Buffer.alloc(1024 * 1024, 'x')
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) chunkedPut.send(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]))
    const tooLarge = parseAnswer((await chunkedPut.all()).slice('HTTP/1.1 100 Continue\r\n\r\n'.length))
    expect(tooLarge.status).toBe(413)
    expect(await node.chains.get(self, 'c')).toBeUndefined()

    // a read never reads a body: its answer, no 100
    const get = open(api.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n')
    const health = parseAnswer(await get.firstHead())
    expect(health.status).toBe(200)
  })
})
