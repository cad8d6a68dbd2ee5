/**
 * DNS rebinding: an API bound to loopback answers only requests that name it
 * by a loopback address or localhost (a page whose domain was made to
 * resolve to 127.0.0.1 is refused with 421 and writes nothing); an API bound
 * to another address, only those that name it by an address or localhost,
 * or by a name it was told to allow.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { request } from 'node:http'
import { connect } from 'node:net'
import { hostname } from 'node:os'
import { lookup } from 'node:dns/promises'
import { TestCluster } from '../utils/nodes.ts'
import { IN_TEST_NETNS } from '../utils/env.ts'
import { startHttpApi } from '../../src/http/server.ts'
import type { HttpApiInit } from '../../src/http/server.ts'
import { isLoopbackName } from '../../src/http/host-check.ts'

interface Answer { status: number, body: Record<string, unknown> }

/** A request with the Host header we choose (fetch does not let us set it). */
async function call (port: number, host: string, method = 'GET', path = '/health', body?: string): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host }, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }) })
    })
    req.once('error', reject)
    req.end(body)
  })
}

/** The raw answer to a request written as it is (no client fills in a Host). */
async function raw (port: number, text: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => { socket.write(text) })
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { answer += d })
    socket.once('end', () => { resolve(answer) })
    socket.once('error', reject)
  })
}

describe('http - Host check', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('knows loopback names', () => {
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'vehicle.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:7f00:1]', '[::ffff:127.0.0.1]', '::ffff:127.9.9.9', '[0:0:0:0:0:0:0:1]']) expect(isLoopbackName(name), name).toBe(true)
    for (const name of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.5', '0.0.0.0', '[::]', '', 'vehicle', '[::ffff:a00:5]', '[::ffff:10.0.0.5]', '[::2]']) expect(isLoopbackName(name), name).toBe(false)
  })

  it('on loopback: answers localhost and loopback addresses, refuses any other Host and writes nothing', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const port = Number(new URL((await cluster.http(node)).url).port)
    const id = node.peerId.toString()

    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::ffff:127.0.0.1]:${port}`, `[::ffff:7f00:1]:${port}`]) {
      expect((await call(port, host)).status, host).toBe(200)
    }
    // userinfo has no place in a Host: the URL parser took 'evil.example@' for it, and the host for 127.0.0.1
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.nip.io:${port}`, 'bad host:1', `evil.example@127.0.0.1:${port}`]) {
      const answer = await call(port, host)
      expect(answer.status, host).toBe(421)
      expect(answer.body).toMatchObject({ error: 'MisdirectedRequestError' })
    }
    const write = await call(port, 'rebound.example', 'PUT', `/chains/${id}/kv/k`, 'v')
    expect(write.status).toBe(421)
    expect((await node.chains.tip(id)).height).toBe(0)
    // the same write, naming the API as its clients do
    expect((await call(port, `127.0.0.1:${port}`, 'PUT', `/chains/${id}/kv/k`, 'v')).status).toBe(200)
    expect((await node.chains.tip(id)).height).toBe(1)
  })

  it('an HTTP/1.1 request without Host is refused like a wrong one (421, JSON, marked): it got Node\'s empty 400', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const port = Number(new URL((await cluster.http(node)).url).port)
    const answer = await raw(port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 421 /)
    expect(answer.toLowerCase()).toContain('x-vguard-node:')
    expect(answer).toContain('"error":"MisdirectedRequestError"')
    // the router's own refusals (before any route runs) are marked as the node's too
    const bad = await raw(port, `GET /chains/%ZZ/kv/a HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)
    expect(bad).toMatch(/^HTTP\/1\.1 400 /)
    expect(bad.toLowerCase()).toContain('x-vguard-node:')
    expect(bad).toContain('not valid percent-encoding')
  })

  it('checks the host an absolute request target names (not the Host header beside it), refuses two Host headers and a target that is no path', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const port = Number(new URL((await cluster.http(node)).url).port)
    const ask = async (line: string, headers: string): Promise<string> => await raw(port, `${line} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`)
    // RFC 9112: the target's authority names the host; both got 200, whatever the target said
    expect(await ask('GET http://evil.example/health', `Host: 127.0.0.1:${port}\r\n`)).toMatch(/^HTTP\/1\.1 421 [^]*not \\"evil\.example\\"/)
    expect(await ask(`GET http://127.0.0.1:${port}/health`, 'Host: evil.example\r\n')).toMatch(/^HTTP\/1\.1 200 /)
    expect(await ask(`GET http://user@evil.example:${port}/health`, `Host: 127.0.0.1:${port}\r\n`)).toMatch(/^HTTP\/1\.1 421 /)
    // Node keeps the first of two Host headers: a proxy in front may route by the other
    expect(await ask('GET /health', `Host: 127.0.0.1:${port}\r\nHost: evil.example\r\n`)).toMatch(/^HTTP\/1\.1 400 [^]*"error":"InvalidRequestError","message":"more than one Host header"/)
    // routed by the target's path: a method the path does not take is 405 with its Allow, and a key's bare '/'
    // gets its hint, as in origin form (both were 'no route': the lookup took the whole URL for the path)
    expect(await ask(`PATCH http://127.0.0.1:${port}/status`, `Host: 127.0.0.1:${port}\r\n`)).toMatch(/^HTTP\/1\.1 405 [^]*\r\nallow: GET, HEAD\r\n[^]*"error":"MethodNotAllowedError"/)
    const self = node.peerId.toString()
    expect(await ask(`GET http://127.0.0.1:${port}/chains/${self}/kv/gps/1?consistency=local`, `Host: 127.0.0.1:${port}\r\n`)).toContain(`as %2F: /chains/${self}/kv/gps%2F1?consistency=local`)
    // and a value's 415 says any type/subtype will do, not to send JSON
    expect(await raw(port, `PUT http://127.0.0.1:${port}/chains/${self}/kv/typed HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: foo\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`)).toMatch(/^HTTP\/1\.1 415 [^]*a Content-Type is type\/subtype \(any/)
    // GET * was redirected to the dashboard, OPTIONS * was 'no route'
    for (const line of ['GET *', 'OPTIONS *']) {
      expect(await ask(line, `Host: 127.0.0.1:${port}\r\n`), line).toMatch(/^HTTP\/1\.1 400 [^]*the request target must be a path/)
    }
  })

  it('refuses options it does not take before binding anything: a typo of host bound the default address (library probe)', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const typo = { hots: '0.0.0.0', port: 0 } as unknown as HttpApiInit
    await expect(startHttpApi(node, typo)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/^hots: not an option of startHttpApi/) })
    await expect(startHttpApi(node, { port: '0' } as unknown as HttpApiInit)).rejects.toMatchObject({ name: 'ConfigError' })
  })

  it('a port in use is a ListenError naming the address and why (it was a plain Error from listen), and the node is left as it was', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const first = await cluster.http(node)
    const port = Number(new URL(first.url).port)
    const failed = await startHttpApi(node, { port }).catch((err: unknown) => err)
    expect(failed).toMatchObject({
      name: 'ListenError',
      code: 'EADDRINUSE',
      message: `the HTTP API cannot listen on 127.0.0.1:${port}: the address is in use (another vguard-node, or another program)`,
      failures: [{ address: `127.0.0.1:${port}`, reason: 'the address is in use (another vguard-node, or another program)' }]
    })
    expect((await fetch(`${first.url}/health`)).status).toBe(200)
  })

  it('follows the address it bound, not the spelling: 127.1 is loopback too (it was not checked)', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await startHttpApi(node, { host: '127.1', port: 0 })
    try {
      const port = Number(new URL(api.url).port)
      expect((await call(port, `127.0.0.1:${port}`)).status).toBe(200)
      expect((await call(port, `evil.example:${port}`)).status).toBe(421)
    } finally {
      await api.close()
    }
  })

  it('bound by a name, answers requests that name it: the URL start prints, and clients given the same --http', async () => {
    // a name of this machine that resolves to loopback (/etc/hosts): the name the API is bound by is not an address
    const name = hostname()
    const address = await lookup(name).then(r => r.address, () => undefined)
    if (address == null || !address.startsWith('127.') || isLoopbackName(name)) {
      console.warn(`skipped: this machine's name ${JSON.stringify(name)} does not resolve to a loopback address (${String(address)}), or is a loopback name already`)
      return
    }
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await startHttpApi(node, { host: name, port: 0 })
    try {
      const port = Number(new URL(api.url).port)
      expect(api.url).toBe(`http://${name}:${port}`)
      // it answered 421 to its own URL (a review)
      expect((await call(port, `${name}:${port}`)).status).toBe(200)
      expect((await call(port, `evil.example:${port}`)).status).toBe(421)
    } finally {
      await api.close()
    }
  })

  if (!IN_TEST_NETNS) it.skip('binding 0.0.0.0 only inside the test\'s private network namespace: run the suite as root (npm test)', () => {})
  it.skipIf(!IN_TEST_NETNS)('bound to all interfaces (a container, a LAN): an address or localhost, or a name it was told to allow; a domain is refused (it took any Host: a container\'s published port could be rebound)', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const id = node.peerId.toString()
    // inside the test's private network namespace: nothing outside can reach it
    const api = await startHttpApi(node, { host: '0.0.0.0', port: 0, allowedHosts: ['Vehicle'] })
    try {
      const port = Number(new URL(api.url).port)
      for (const host of [`127.0.0.1:${port}`, `10.0.0.5:${port}`, `[::1]:${port}`, `localhost:${port}`, `vehicle:${port}`, 'VEHICLE.']) {
        expect((await call(port, host)).status, host).toBe(200)
      }
      const rebound = await call(port, `evil.example:${port}`, 'PUT', `/chains/${id}/kv/k`, 'v')
      expect(rebound).toMatchObject({ status: 421, body: { error: 'MisdirectedRequestError', message: expect.stringMatching(/an IP address or localhost, not "evil.example".*--http-allow-host/) } })
      expect((await call(port, `other:${port}`)).status).toBe(421)
      expect((await node.chains.tip(id)).height).toBe(0)
    } finally {
      await api.close()
    }
  })
})
