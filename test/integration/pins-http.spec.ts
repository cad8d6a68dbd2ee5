/** Pins over HTTP (GET/PUT/DELETE /chains/:id/pins…) on a real node: what retention keeps, set and cleared by a user. */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { emptyTip } from '../../src/chain/index.ts'
import { startHttpApi } from '../../src/http/server.ts'
import type { HttpApi } from '../../src/http/server.ts'
import { TestCluster } from '../utils/nodes.ts'
import { runCli } from '../utils/cli.ts'
import { buildChain, enc } from '../unit/storage/helpers.ts'

describe('http - pins', () => {
  const cluster = new TestCluster()
  let api: HttpApi | undefined
  afterEach(async () => {
    await api?.close()
    api = undefined
    await cluster.teardown()
  })

  it('pins keys and height ranges of a chain held here, idempotently; retention then keeps them; bad pins are 400 and change nothing', async () => {
    const node = await cluster.create()
    await node.start()
    // a copy of another vehicle's chain, as a backup holds it
    const chain = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    await node.chains.appendMany(buildChain(emptyTip(chain), 6, h => ({ timestamp: h, transactions: [{ key: `gps/${h}`, value: enc.encode(`fix ${h}`) }] })))
    api = await startHttpApi(node, { port: 0 })
    const call = async (method: string, path: string): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${api?.url ?? ''}${path}`, { method })
      return { status: res.status, body: await res.json() }
    }

    expect(await call('GET', `/chains/${chain}/pins`)).toEqual({ status: 200, body: { chainId: chain, pins: [] } })
    expect(await call('PUT', `/chains/${chain}/pins/keys/gps%2F2`)).toEqual({ status: 200, body: { chainId: chain, pins: [{ type: 'key', key: 'gps/2' }], changed: true, alreadyPruned: 0 } })
    expect((await call('PUT', `/chains/${chain}/pins/keys/gps%2F2`)).body.changed).toBe(false)
    expect((await call('PUT', `/chains/${chain}/pins/heights/4-5`)).body).toMatchObject({ changed: true, pins: [{ type: 'key', key: 'gps/2' }, { type: 'range', from: 4, to: 5 }] })
    // a range next to a pinned one joins it
    expect((await call('PUT', `/chains/${chain}/pins/heights/6`)).body.pins).toContainEqual({ type: 'range', from: 4, to: 6 })
    expect((await call('DELETE', `/chains/${chain}/pins/heights/6`)).body).toMatchObject({ changed: true, pins: [{ type: 'key', key: 'gps/2' }, { type: 'range', from: 4, to: 5 }] })
    expect((await call('DELETE', `/chains/${chain}/pins/heights/6`)).body.changed).toBe(false)
    // heights count, not list entries: 1-3 merges with 4-5, heights inside it change nothing, unpinning 2 splits it
    const key = { type: 'key', key: 'gps/2' }
    expect((await call('PUT', `/chains/${chain}/pins/heights/1-3`)).body).toMatchObject({ changed: true, pins: [key, { type: 'range', from: 1, to: 5 }] })
    expect((await call('PUT', `/chains/${chain}/pins/heights/2`)).body.changed).toBe(false)
    expect((await call('DELETE', `/chains/${chain}/pins/heights/2`)).body).toMatchObject({ changed: true, pins: [key, { type: 'range', from: 1, to: 1 }, { type: 'range', from: 3, to: 5 }] })
    expect((await call('DELETE', `/chains/${chain}/pins/heights/1-3`)).body).toMatchObject({ changed: true, pins: [key, { type: 'range', from: 4, to: 5 }] })

    for (const [path, error] of [
      [`/chains/${chain}/pins/heights/0`, 'InvalidRequestError'],
      [`/chains/${chain}/pins/heights/5-4`, 'InvalidRequestError'],
      [`/chains/${chain}/pins/heights/1-x`, 'InvalidRequestError'],
      [`/chains/${chain}/pins/keys/${'k'.repeat(1025)}`, 'InvalidTransactionError'],
      ['/chains/not-a-vehicle/pins/keys/k', 'InvalidRequestError']
    ]) {
      const res = await call('PUT', path)
      expect(res.status, path).toBe(400)
      expect(res.body.error, path).toBe(error)
    }
    // a height no chain reaches says why it is refused (it read as "not an integer")
    expect((await call('PUT', `/chains/${chain}/pins/heights/1-9999999999999999`)).body).toMatchObject({ error: 'InvalidRequestError', message: 'heights: at most 15 digits each, got "1-9999999999999999"' })
    const pins = [{ type: 'key', key: 'gps/2' }, { type: 'range', from: 4, to: 5 }]
    expect(node.chains.pins(chain)).toEqual(pins)

    // what the storage master prunes of the copy: all but the pinned blocks
    await node.chains.prune(chain, [1, 2, 3, 4, 5, 6], { watermark: 7 })
    const pruned = (await call('GET', `/chains/${chain}/blocks?transactions=false`)).body.blocks.map((b: { height: number, pruned: boolean }) => b.pruned)
    expect(pruned).toEqual([true, false, true, false, false, true])
    expect((await call('GET', `/chains/${chain}/kv/gps%2F2`)).body.value).toBe('fix 2')
    expect((await call('DELETE', `/chains/${chain}/pins/keys/gps%2F2`)).body).toEqual({ chainId: chain, pins: [{ type: 'range', from: 4, to: 5 }], changed: true })

    // pinning what retention already pruned keeps what is left and says what is gone:
    // heights 1, 3 and 6 (heights past the tip are not blocks), a key whose block went
    expect((await call('PUT', `/chains/${chain}/pins/heights/1-10`)).body).toMatchObject({ changed: true, alreadyPruned: 3 })
    expect((await call('PUT', `/chains/${chain}/pins/keys/gps%2F3`)).body).toMatchObject({ changed: true, alreadyPruned: 1 })
    expect((await call('PUT', `/chains/${chain}/pins/keys/gps%2F4`)).body).toMatchObject({ changed: true, alreadyPruned: 0 })
    expect((await call('PUT', `/chains/${chain}/pins/keys/never-written`)).body).toMatchObject({ changed: true, alreadyPruned: 0 })
    expect((await call('PUT', `/chains/${chain}/pins/heights/1-10`)).body).toMatchObject({ changed: false, alreadyPruned: 3 })
    // the CLI says it on stderr; its answer stays the pins
    const http = ['--http', new URL(api.url).host, '--chain', chain]
    expect(await runCli(['pin', ...http, '--heights', '1-10'])).toMatchObject({
      code: 0,
      stdout: 'heights 1-10\nkey gps/3\nkey gps/4\nkey never-written\n',
      stderr: `already pinned in chain ${chain}\nwarning: 3 of these blocks were pruned before: their payloads are gone from this node (a pin keeps what is left)\n`
    })
    expect((await runCli(['pin', ...http, '--key', 'gps/4'])).stderr).toBe(`already pinned in chain ${chain}\n`)
  })

  it('a pin\'s PUT or DELETE ignores a body of any type, as a DELETE of a key does; a Content-Type that is no media type is 415 and changes nothing', async () => {
    const node = await cluster.create()
    await node.start()
    const chain = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    api = await startHttpApi(node, { port: 0 })
    const call = async (method: string, path: string, type: string, body: string): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${api?.url ?? ''}/chains/${chain}/pins/${path}`, { method, headers: { 'content-type': type }, body })
      return { status: res.status, body: await res.json() }
    }
    // the routes take no body: one sent (a client that sends JSON, or text, by habit) was refused 415
    // "send the body as application/json", or 400 for JSON that did not parse (a probe, 2026-12-03)
    expect(await call('PUT', 'keys/a', 'text/plain', 'abc')).toMatchObject({ status: 200, body: { pins: [{ type: 'key', key: 'a' }], changed: true } })
    expect(await call('PUT', 'heights/1-2', 'application/json', '{not json')).toMatchObject({ status: 200, body: { changed: true } })
    expect(await call('PUT', 'heights/3', 'application/json', '{"heights":"9"}')).toMatchObject({ status: 200, body: { changed: true } })
    expect(await call('DELETE', 'keys/a', 'application/octet-stream', 'abc')).toMatchObject({ status: 200, body: { changed: true } })
    const pins = [{ type: 'range', from: 1, to: 3 }]
    expect(node.chains.pins(chain)).toEqual(pins)

    for (const method of ['PUT', 'DELETE']) {
      const refused = await call(method, 'heights/1', 'foo', 'x')
      expect(refused, method).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaTypeError', message: expect.stringContaining('a Content-Type is type/subtype (any: a pin\'s body is ignored), or send none') } })
      expect(refused.body.message, method).not.toContain('application/json')
    }
    expect(node.chains.pins(chain)).toEqual(pins)
  })

  it('a route that ignores its body ignores its Content-Encoding too (pins, a key\'s DELETE, reads); a route that reads its body refuses a coded one, 415', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    api = await startHttpApi(node, { port: 0 })
    const call = async (method: string, path: string, init: { body?: string, type?: string } = {}): Promise<{ status: number, body: any }> => {
      const headers: Record<string, string> = { 'content-encoding': 'gzip', ...(init.type != null ? { 'content-type': init.type } : {}) }
      const res = await fetch(`${api?.url ?? ''}${path}`, { method, headers, body: init.body })
      return { status: res.status, body: await res.json() }
    }
    expect((await fetch(`${api.url}/chains/${self}/kv/k`, { method: 'PUT', body: 'v' })).status).toBe(200)
    // they were 415 "send the body uncompressed (a value is stored as the bytes sent)", of a body they never read,
    // or of none at all (a client that marks every request so: a probe, 2026-12-03)
    expect(await call('PUT', `/chains/${self}/pins/keys/k`)).toMatchObject({ status: 200, body: { changed: true } })
    expect(await call('PUT', `/chains/${self}/pins/heights/1`, { body: 'x', type: 'text/plain' })).toMatchObject({ status: 200, body: { changed: true } })
    expect(await call('DELETE', `/chains/${self}/pins/heights/1`)).toMatchObject({ status: 200, body: { changed: true } })
    expect(await call('GET', `/chains/${self}/pins`)).toMatchObject({ status: 200, body: { pins: [{ type: 'key', key: 'k' }] } })
    expect(await call('GET', `/chains/${self}/kv/k`)).toMatchObject({ status: 200 })
    expect(await call('DELETE', `/chains/${self}/kv/k`)).toMatchObject({ status: 200, body: { height: 2 } })

    // a value's PUT and an end of booth read theirs: a coded body would be stored, or parsed, as sent
    const refused = { status: 415, body: { error: 'UnsupportedMediaTypeError', message: expect.stringContaining('Content-Encoding gzip is not accepted') } }
    expect(await call('PUT', `/chains/${self}/kv/z`, { body: 'v' })).toMatchObject(refused)
    expect(await call('POST', '/booth/end', { body: '{}', type: 'application/json' })).toMatchObject(refused)
    // a request no route takes may have its body parsed (a 405's JSON is parsed first): refused as before
    expect(await call('POST', '/status', { body: '{}', type: 'application/json' })).toMatchObject(refused)
    expect((await node.chains.tip(self)).height).toBe(2)
  })
})
