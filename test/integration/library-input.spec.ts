/**
 * What an embedder hands the library that it must refuse with a typed error
 * before anything happens (a probe of the public API found each of these
 * taken, or failing as something else): a key no write could store, read
 * from peers (it came back as every holder failing, worth a retry); pins on
 * no chain; a node startHttpApi cannot serve; values an error message could
 * not show. Real nodes over TCP, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { startHttpApi } from '../../src/http/server.ts'
import { statusOf } from '../../src/http/status.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { Pin } from '../../src/storage/index.ts'

const value = new TextEncoder().encode('fix')

describe('library - input refused before anything happens', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a key no write could store is InvalidReadError for every consistency and for redirect reads, before any peer is asked', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const A = a.peerId.toString()
    await a.put('k', value)
    for (const key of ['k'.repeat(2_000), 'a\uD800']) {
      for (const consistency of ['local', 'leader', 'quorum'] as const) {
        await expect(b.get(A, key, { consistency }), `${consistency} ${key.length}`).rejects.toMatchObject({ name: 'InvalidReadError' })
        await expect(a.get(A, key, { consistency }), `own ${consistency} ${key.length}`).rejects.toMatchObject({ name: 'InvalidReadError' })
      }
      await expect(b.vguarddb.readKey(A, key)).rejects.toMatchObject({ name: 'InvalidReadError' })
    }
    await expect(b.get(A, 'a\uD800', { consistency: 'quorum' })).rejects.toThrow(/^key is not well-formed unicode: "a\\ud800"$/)
    await expect(b.get(A, 'k'.repeat(2_000))).rejects.toThrow(/^key longer than 1024 bytes: "k{64}"… \(2000 characters\)$/)
    // the key that is there is read as before
    expect((await b.get(A, 'k', { consistency: 'quorum' })).value).toEqual(value)
  })

  it('a pin on no chain, or no pin, is InvalidPinError and stores nothing', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    const pin: Pin = { type: 'key', key: 'x' }
    for (const chainId of [undefined, 5, '', 'c'.repeat(100_000), 'not-a-peer-id', node.peerId.toCID().toString()]) {
      await expect(node.pin(chainId as unknown as string, pin), String(chainId).slice(0, 20)).rejects.toMatchObject({ name: 'InvalidPinError', message: expect.stringMatching(/^a pin's chain: /) })
      await expect(node.unpin(chainId as unknown as string, pin)).rejects.toMatchObject({ name: 'InvalidPinError' })
    }
    for (const bad of [null, undefined, 'x']) {
      await expect(node.pin(self, bad as unknown as Pin)).rejects.toMatchObject({ name: 'InvalidPinError' })
    }
    expect(node.chains.pins('5')).toEqual([])
    expect(node.chains.pins('')).toEqual([])
    // a vehicle's chain and the shared one take pins as before
    expect((await node.pin(self, pin)).changed).toBe(true)
    expect((await node.pin('shared', pin)).changed).toBe(true)
  })

  it('a pin with a field no pin has is InvalidPinError and pins nothing (a key pin with a range\'s heights pinned the key alone)', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    const bad: Array<[unknown, RegExp]> = [
      [{ type: 'key', key: 'k', x: 1 }, /^unknown field "x" in a key pin \(a pin is \{ type: "key", key \} or \{ type: "range", from, to \}\)$/],
      // which did the caller mean, the key or the heights? the key alone was pinned
      [{ type: 'key', key: 'k', from: 1, to: 5 }, /^unknown field "from" in a key pin/],
      [{ type: 'range', from: 1, to: 5, key: 'k' }, /^unknown field "key" in a range pin/],
      [{ type: 'range', from: 1, to: 5, Type: 'key' }, /^unknown field "Type" in a range pin/],
      // a misspelt height is named (it said the range needs integer heights)
      [{ type: 'range', from: 1, too: 5 }, /^unknown field "too" in a range pin/]
    ]
    for (const [pin, message] of bad) {
      await expect(node.pin(self, pin as Pin), JSON.stringify(pin)).rejects.toMatchObject({ name: 'InvalidPinError', message: expect.stringMatching(message) })
      await expect(node.unpin(self, pin as Pin), JSON.stringify(pin)).rejects.toMatchObject({ name: 'InvalidPinError', message: expect.stringMatching(message) })
    }
    expect(node.chains.pins(self)).toEqual([])
    // the shapes a pin takes, as before
    expect((await node.pin(self, { type: 'key', key: 'k' })).changed).toBe(true)
    expect((await node.pin(self, { type: 'range', from: 1, to: 5 })).changed).toBe(true)
  })

  it('a value whose bytes were transferred away (a detached buffer) is InvalidTransactionError, not an empty value', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    await node.put('k', value)
    const gone = new Uint8Array([1, 2, 3])
    // posted to a worker, or transferred as here: the view reads as 0 bytes
    gone.buffer.transfer()
    await expect(node.put('k', gone)).rejects.toMatchObject({ name: 'InvalidTransactionError', message: 'transaction 0: value\'s buffer was detached (transferred away): its bytes are gone' })
    await expect(node.append([{ key: 'other', value }, { key: 'k', value: gone }])).rejects.toMatchObject({ name: 'InvalidTransactionError', message: expect.stringMatching(/^transaction 1: value's buffer was detached/) })
    // an end of booth's copy of it was a TypeError from inside (slice of a detached buffer)
    const other = (await cluster.create()).peerId.toString()
    await expect(node.endOfBooth({ participants: [other], transactions: [{ key: 'k', value: gone }] })).rejects.toMatchObject({ name: 'InvalidTransactionError', message: 'transaction 0: value\'s buffer was detached (transferred away): its bytes are gone' })
    expect(await node.get(self, 'k')).toMatchObject({ value, height: 1 })
    // an empty value is taken as before
    expect((await node.put('k', new Uint8Array(0))).height).toBe(2)
  })

  it("a transaction with a field append does not take is InvalidTransactionError and writes nothing (endOfBooth's { key, delete: true } stored an empty value)", async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    await node.put('k', value)
    const bad: Array<[unknown, RegExp]> = [
      // an end of booth's delete: append took it for a put of an empty value, and k read as empty
      [{ key: 'k', delete: true }, /^transaction 0: unknown field "delete" \(a transaction is \{ key, value\?, op\? \}: a delete is \{ op: 'DELETE', key \}\)$/],
      // a misspelt value or op: an empty value put, or a put where a delete was meant
      [{ key: 'k', vaule: value }, /^transaction 0: unknown field "vaule"/],
      [{ Op: 'DELETE', key: 'k' }, /^transaction 0: unknown field "Op"/]
    ]
    for (const [tx, message] of bad) {
      await expect(node.append([tx as never]), JSON.stringify(tx)).rejects.toMatchObject({ name: 'InvalidTransactionError', message: expect.stringMatching(message) })
      await expect(node.append([{ key: 'other', value }, tx as never])).rejects.toMatchObject({ name: 'InvalidTransactionError', message: expect.stringMatching(/^transaction 1: unknown field/) })
    }
    expect(await node.get(self, 'k')).toMatchObject({ value, height: 1 })
    expect((await node.chains.tip(self)).height).toBe(1)
    // the shapes append takes, as before
    expect((await node.append([{ key: 'k', value, op: 'PUT' }, { op: 'DELETE', key: 'gone' }, { key: 'empty' }])).height).toBe(2)
  })

  it("a redirect read's page of keys and options are checked: a misspelt prefix read every key, a misspelt via was ignored, a signal that is none a TypeError from inside", async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const A = a.peerId.toString()
    await a.put('gps/1', value)
    await a.put('k', value)
    const bad: Array<[() => Promise<unknown>, RegExp]> = [
      [async () => await b.vguarddb.readKeys(A, { prefx: 'gps/' } as never), /^unknown option "prefx" of a page of keys: it takes prefix, after, limit, values$/],
      [async () => await b.vguarddb.readKeys(A, 'gps/' as never), /^a page of keys is an object \(\{ prefix, after, limit, values \}\), got string$/],
      [async () => await b.vguarddb.readKeys(A, { limit: '1' } as never), /^a page of keys holds 1 to 1000, got "1" \(string\)$/],
      [async () => await b.vguarddb.readKey(A, 'k', { vai: [A] } as never), /^unknown redirect read option "vai": a redirect read takes signal, via$/],
      [async () => await b.vguarddb.readBlock(A, 1, 'fast' as never), /^a redirect read's options are an object \(\{ signal, via \}\), got string$/],
      [async () => await b.vguarddb.readKey(A, 'k', { signal: 'x' } as never), /^signal: an AbortSignal, got "x" \(string\)$/],
      [async () => await b.vguarddb.readKeys(A, {}, { signal: {} } as never), /^signal: an AbortSignal, got \{\} \(object\)$/]
    ]
    for (const [read, message] of bad) await expect(read()).rejects.toMatchObject({ name: 'InvalidReadError', message: expect.stringMatching(message) })
    // what makes sense reads as before; null is no page, no options
    expect((await b.vguarddb.readKeys(A, { prefix: 'gps/' })).response.entries.map(e => e.key)).toEqual(['gps/1'])
    expect((await b.vguarddb.readKeys(A, null as never, null as never)).response.entries.map(e => e.key)).toEqual(['gps/1', 'k'])
    const read = await b.vguarddb.readKey(A, 'k', { signal: AbortSignal.timeout(10_000), via: [A] })
    expect([...read.response.value]).toEqual([...value])
  })

  it('startHttpApi refuses what is not a node before binding (every route answered 500 TypeError)', async () => {
    for (const bogus of [null, {}, { peerId: 'x' }, 'node']) {
      await expect(startHttpApi(bogus as unknown as VGuardNode, { port: 0 })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/^node: startHttpApi\(node, init\) takes a node made by createVGuardNode/) })
    }
  })

  it('statusOf refuses what is not a node, as startHttpApi does (it threw a TypeError from inside: "reading \'toString\'")', async () => {
    for (const bogus of [null, undefined, {}, { peerId: 'x' }, 'node']) {
      await expect(statusOf(bogus as unknown as VGuardNode), String(bogus)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/^node: statusOf\(node\) takes a node made by createVGuardNode, got /) })
    }
    // a node's is read as before
    const node = await cluster.create({ kBackups: 0 })
    expect((await statusOf(node)).peerId).toBe(node.peerId.toString())
  })

  it('api.drain refuses a grace that is no number of ms from 0, as node.drain does, and drains nothing (a string waited for good while a request ran)', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    for (const grace of [-1, Number.NaN, Infinity, '5000' as unknown as number]) {
      await expect(api.drain(grace), String(grace)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/^api\.drain\(graceMs\): a number of ms from 0, got/) })
    }
    // still serving: not a 503 "the node is stopping"
    const res = await fetch(`${api.url}/chains/${node.peerId.toString()}/kv/k`, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(200)
  })

  it('says what it was given: a timeout of NaN, a height given as a string, a write that is not a list', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    await expect(node.put('k', value, { timeout: Number.NaN })).rejects.toThrow(/got NaN$/)
    await expect(node.getBlock(self, '1' as unknown as number)).rejects.toThrow(/^a block height is an integer ≥ 1, got "1" \(string\)$/)
    await expect(node.append({ key: 'a' } as unknown as [])).rejects.toThrow(/^a write is a list of transactions \(\[\{ key, value \}\]\), got object$/)
    expect((await node.chains.tip(self)).height).toBe(0)
  })
})
