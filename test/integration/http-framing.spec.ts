/**
 * Request framing the API refuses in its documented shape, on the raw
 * socket (fetch sends neither of these): a transfer coding other than
 * chunked (Node's parser undoes only the chunking, so a PUT stored the gzip
 * bytes as the value), and an Expect other than 100-continue (Node answered
 * 417 itself, with an empty body and without the API header), and bytes the
 * parser cannot read behind a request still being answered (the 400 for them
 * went out first, in place of that request's answer).
 */
import { gzipSync } from 'node:zlib'
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import { parseAnswer, raw } from '../utils/raw-http.ts'
import { API_HEADER } from '../../src/http/api-header.ts'

/** A body in chunked framing, as one chunk. */
function chunked (body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
}

describe('http - request framing', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a body sent with a transfer coding other than chunked is refused with 501, not stored as its compressed bytes; chunked alone is taken', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    const put = (key: string, codings: string, body: Buffer): Buffer => Buffer.concat([
      Buffer.from(`PUT /chains/${self}/kv/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: ${codings}\r\nConnection: close\r\n\r\n`),
      chunked(body)
    ])
    const before = (await node.chains.tip(self)).height
    const zipped = parseAnswer(await raw(api.url, put('zipped', 'gzip, chunked', gzipSync('a value'))))
    expect(zipped.status).toBe(501)
    expect(zipped.headers).toContain(API_HEADER.toLowerCase())
    expect(JSON.parse(zipped.body)).toEqual({ error: 'NotImplementedError', message: expect.stringContaining('Transfer-Encoding gzip is not implemented') })
    expect(await node.chains.get(self, 'zipped')).toBeUndefined()
    expect((await node.chains.tip(self)).height).toBe(before)

    const plain = parseAnswer(await raw(api.url, put('plain', 'chunked', Buffer.from('a value'))))
    expect(plain.status).toBe(200)
    expect(Buffer.from((await node.chains.get(self, 'plain'))?.value ?? []).toString()).toBe('a value')
  })

  it('an Expect the API does not meet is 417 in the documented error shape; 100-continue is met', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    const put = (expectation: string): string => `PUT /chains/${self}/kv/k HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: ${expectation}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`
    const answer = parseAnswer(await raw(api.url, put('200-ok')))
    expect(answer.status).toBe(417)
    expect(answer.headers).toContain(API_HEADER.toLowerCase())
    expect(answer.headers).toContain('content-type: application/json')
    expect(JSON.parse(answer.body)).toEqual({ error: 'ExpectationFailedError', message: expect.stringContaining('200-ok') })
    expect(await node.chains.get(self, 'k')).toBeUndefined()

    // the one expectation HTTP defines: met (100 Continue once the body is read: http-expect-continue.spec.ts), the write goes through
    const met = await raw(api.url, put('100-continue'))
    expect(met).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)
    expect(Buffer.from((await node.chains.get(self, 'k'))?.value ?? []).toString()).toBe('x')
    // an expectation is case-insensitive (RFC 9110 §10.1.1)
    expect(await raw(api.url, put('100-Continue'))).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)

    // 100-continue beside another expectation, in one header or two: that other one is not met either
    // (Node finds the token anywhere in the header, and met these as 100-continue alone: a probe, 2026-12-03)
    const height = (await node.chains.tip(self)).height
    const others: Array<[string, string]> = [
      ['100-continue, 200-ok', put('100-continue, 200-ok')],
      ['200-ok, 100-continue', put('200-ok, 100-continue')],
      ['two headers', `PUT /chains/${self}/kv/k2 HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nExpect: 200-ok\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`]
    ]
    for (const [what, request] of others) {
      const refused = parseAnswer(await raw(api.url, request))
      expect(refused.status, what).toBe(417)
      expect(refused.headers, what).toContain(API_HEADER.toLowerCase())
      expect(JSON.parse(refused.body), what).toEqual({ error: 'ExpectationFailedError', message: expect.stringContaining('200-ok') })
    }
    expect(await node.chains.get(self, 'k2')).toBeUndefined()
    expect((await node.chains.tip(self)).height).toBe(height)
  })

  it('bytes the parser refuses behind a request still being answered get their 400 after its answer, not in its place', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    // a client that counts the value's characters, not its bytes: Content-Length 5 for 'héllo' (6 bytes);
    // the PUT takes the 5 bytes it was told of, and the 'o' left over is no request
    const put = Buffer.concat([Buffer.from(`PUT /chains/${self}/kv/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n`), Buffer.from('héllo')])
    const answers = (await raw(api.url, put)).split(/(?=HTTP\/1\.1 \d{3} )/).map(parseAnswer)
    // the write committed: its answer says so, and comes first (a 400 alone told a client whose
    // value was committed that nothing was written)
    expect(answers.map(a => a.status)).toEqual([200, 400])
    expect(Buffer.from((await node.chains.get(self, 'k'))?.value ?? []).toString()).toBe('héll')
    expect(JSON.parse(answers[0].body)).toMatchObject({ chainId: self, height: 1 })
    expect(JSON.parse(answers[1].body)).toEqual({ error: 'InvalidRequestError', message: expect.stringContaining('malformed HTTP request') })
    expect(answers[1].headers).toContain(API_HEADER.toLowerCase())

    // a read too: its answer is not lost to the 400 of what follows it (a body sent with a GET, no Content-Length)
    const get = await raw(api.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n{"a":1}')
    expect(get.split(/(?=HTTP\/1\.1 \d{3} )/).map(a => parseAnswer(a).status)).toEqual([200, 400])

    // bytes refused inside a request's own body are its answer: 400 at once, not held for an answer that never comes
    const badChunk = parseAnswer(await raw(api.url, `PUT /chains/${self}/kv/chunk HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`))
    expect(badChunk.status).toBe(400)
    expect(await node.chains.get(self, 'chunk')).toBeUndefined()
  })

  it('a request target over the head limit is 414 URITooLongError; headers over it 431, saying the request line counts; nothing is written', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    const long = 'a'.repeat(17 * 1024)
    const before = (await node.chains.tip(self)).height
    // Node's parser counts the request line with the headers: a long URL was 431 "the request headers are
    // too large", which sent a client looking at headers it never set (a probe, 2026-12-03)
    for (const request of [
      `GET /status?q=${long} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `PUT /chains/${self}/kv/${long} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nv`
    ]) {
      const answer = parseAnswer(await raw(api.url, request))
      expect(answer.status, request.slice(0, 30)).toBe(414)
      expect(answer.headers).toContain(API_HEADER.toLowerCase())
      expect(JSON.parse(answer.body)).toEqual({ error: 'URITooLongError', message: expect.stringContaining('the request target (URL) is too long') })
    }
    // behind a request answered first on its connection, too
    const behind = (await raw(api.url, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /${long} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)).split(/(?=HTTP\/1\.1 \d{3} )/).map(parseAnswer)
    expect(behind.map(a => a.status)).toEqual([200, 414])
    // a header over the limit stays 431, and says the request line counts with the headers
    const headers = parseAnswer(await raw(api.url, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ${long}\r\n\r\n`))
    expect(headers.status).toBe(431)
    expect(JSON.parse(headers.body)).toEqual({ error: 'HeadersTooLargeError', message: expect.stringMatching(/^the request headers are too large: the request line and headers take at most 16 KiB together/) })
    expect((await node.chains.tip(self)).height).toBe(before)
  })

  it("a '#' in the request target is 400 InvalidRequestError and writes nothing (the router cut the key at it); %23 is a key's '#'", async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const self = node.peerId.toString()
    const put = (target: string): string => `PUT ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv`
    const before = (await node.chains.tip(self)).height
    for (const target of [`/chains/${self}/kv/a#`, `/chains/${self}/kv/sensor#1`, `/chains/${self}/kv/b?x#y`]) {
      const answer = parseAnswer(await raw(api.url, put(target)))
      expect(answer.status, target).toBe(400)
      expect(JSON.parse(answer.body), target).toEqual({ error: 'InvalidRequestError', message: expect.stringContaining('as %23') })
    }
    expect(await node.chains.get(self, 'a')).toBeUndefined()
    expect(await node.chains.get(self, 'sensor')).toBeUndefined()
    expect((await node.chains.tip(self)).height).toBe(before)
    // encoded, it is part of the key
    expect(parseAnswer(await raw(api.url, put(`/chains/${self}/kv/a%23`))).status).toBe(200)
    expect((await node.chains.get(self, 'a#'))?.value).toEqual(new TextEncoder().encode('v'))
  })
})
